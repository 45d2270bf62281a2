/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment UserFields on User { id username fullName }\n": typeof types.UserFieldsFragmentDoc,
    "\n  fragment MessageFields on Message {\n    id conversationId content createdAt editedAt deleted\n    sender { ...UserFields }\n  }\n": typeof types.MessageFieldsFragmentDoc,
    "\n  fragment ConversationFields on Conversation {\n    id name updatedAt unreadCount lastReadId\n    lastMessage { ...MessageFields }\n    participants { id role user { ...UserFields } }\n    onlineParticipants { id }\n  }\n": typeof types.ConversationFieldsFragmentDoc,
    "\n  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }\n": typeof types.AuthFieldsFragmentDoc,
    "\n  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }\n": typeof types.SignupDocument,
    "\n  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }\n": typeof types.LoginDocument,
    "\n  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }\n": typeof types.RefreshDocument,
    "\n  query Me { me { ...UserFields } }\n": typeof types.MeDocument,
    "\n  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }\n": typeof types.ConversationsDocument,
    "\n  subscription Inbox {\n    inbox {\n      __typename\n      ... on ConversationChanged { conversation { ...ConversationFields } }\n      ... on AddedToConversation { conversation { ...ConversationFields } }\n      ... on RemovedFromConversation { conversationId }\n    }\n  }\n": typeof types.InboxDocument,
    "\n  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }\n": typeof types.SearchUsersDocument,
    "\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) { ...ConversationFields }\n  }\n": typeof types.CreateConversationDocument,
    "\n  mutation AddParticipant($conversationId: ID!, $userId: ID!) {\n    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }\n  }\n": typeof types.AddParticipantDocument,
    "\n  query History($conversationId: ID!, $before: StreamId) {\n    messages(conversationId: $conversationId, before: $before, limit: 30) {\n      hasMore messages { ...MessageFields }\n    }\n  }\n": typeof types.HistoryDocument,
    "\n  subscription Events($conversationId: ID!, $since: StreamId) {\n    conversationEvents(conversationId: $conversationId, since: $since) {\n      __typename\n      ... on MessageAdded { id message { ...MessageFields } }\n      ... on MessageEdited { id message { ...MessageFields } }\n      ... on MessageDeleted { id message { ...MessageFields } }\n      ... on ReadMarkerMoved { id upTo user { ...UserFields } }\n      ... on ParticipantJoined { id user { ...UserFields } }\n      ... on ParticipantLeft { id user { ...UserFields } }\n      ... on TypingChanged { typing user { ...UserFields } }\n      ... on PresenceChanged { online user { ...UserFields } }\n    }\n  }\n": typeof types.EventsDocument,
    "\n  mutation Send($conversationId: ID!, $content: String!) {\n    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }\n  }\n": typeof types.SendDocument,
    "\n  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {\n    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }\n  }\n": typeof types.EditDocument,
    "\n  mutation Delete($conversationId: ID!, $messageId: StreamId!) {\n    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }\n  }\n": typeof types.DeleteDocument,
    "\n  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {\n    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }\n  }\n": typeof types.MarkReadDocument,
    "\n  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }\n": typeof types.ConversationByIdDocument,
    "\n  mutation SetTyping($conversationId: ID!, $typing: Boolean) {\n    setTyping(conversationId: $conversationId, typing: $typing)\n  }\n": typeof types.SetTypingDocument,
};
const documents: Documents = {
    "\n  fragment UserFields on User { id username fullName }\n": types.UserFieldsFragmentDoc,
    "\n  fragment MessageFields on Message {\n    id conversationId content createdAt editedAt deleted\n    sender { ...UserFields }\n  }\n": types.MessageFieldsFragmentDoc,
    "\n  fragment ConversationFields on Conversation {\n    id name updatedAt unreadCount lastReadId\n    lastMessage { ...MessageFields }\n    participants { id role user { ...UserFields } }\n    onlineParticipants { id }\n  }\n": types.ConversationFieldsFragmentDoc,
    "\n  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }\n": types.AuthFieldsFragmentDoc,
    "\n  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }\n": types.SignupDocument,
    "\n  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }\n": types.LoginDocument,
    "\n  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }\n": types.RefreshDocument,
    "\n  query Me { me { ...UserFields } }\n": types.MeDocument,
    "\n  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }\n": types.ConversationsDocument,
    "\n  subscription Inbox {\n    inbox {\n      __typename\n      ... on ConversationChanged { conversation { ...ConversationFields } }\n      ... on AddedToConversation { conversation { ...ConversationFields } }\n      ... on RemovedFromConversation { conversationId }\n    }\n  }\n": types.InboxDocument,
    "\n  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }\n": types.SearchUsersDocument,
    "\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) { ...ConversationFields }\n  }\n": types.CreateConversationDocument,
    "\n  mutation AddParticipant($conversationId: ID!, $userId: ID!) {\n    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }\n  }\n": types.AddParticipantDocument,
    "\n  query History($conversationId: ID!, $before: StreamId) {\n    messages(conversationId: $conversationId, before: $before, limit: 30) {\n      hasMore messages { ...MessageFields }\n    }\n  }\n": types.HistoryDocument,
    "\n  subscription Events($conversationId: ID!, $since: StreamId) {\n    conversationEvents(conversationId: $conversationId, since: $since) {\n      __typename\n      ... on MessageAdded { id message { ...MessageFields } }\n      ... on MessageEdited { id message { ...MessageFields } }\n      ... on MessageDeleted { id message { ...MessageFields } }\n      ... on ReadMarkerMoved { id upTo user { ...UserFields } }\n      ... on ParticipantJoined { id user { ...UserFields } }\n      ... on ParticipantLeft { id user { ...UserFields } }\n      ... on TypingChanged { typing user { ...UserFields } }\n      ... on PresenceChanged { online user { ...UserFields } }\n    }\n  }\n": types.EventsDocument,
    "\n  mutation Send($conversationId: ID!, $content: String!) {\n    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }\n  }\n": types.SendDocument,
    "\n  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {\n    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }\n  }\n": types.EditDocument,
    "\n  mutation Delete($conversationId: ID!, $messageId: StreamId!) {\n    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }\n  }\n": types.DeleteDocument,
    "\n  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {\n    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }\n  }\n": types.MarkReadDocument,
    "\n  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }\n": types.ConversationByIdDocument,
    "\n  mutation SetTyping($conversationId: ID!, $typing: Boolean) {\n    setTyping(conversationId: $conversationId, typing: $typing)\n  }\n": types.SetTypingDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserFields on User { id username fullName }\n"): typeof import('./graphql').UserFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageFields on Message {\n    id conversationId content createdAt editedAt deleted\n    sender { ...UserFields }\n  }\n"): typeof import('./graphql').MessageFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConversationFields on Conversation {\n    id name updatedAt unreadCount lastReadId\n    lastMessage { ...MessageFields }\n    participants { id role user { ...UserFields } }\n    onlineParticipants { id }\n  }\n"): typeof import('./graphql').ConversationFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }\n"): typeof import('./graphql').AuthFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }\n"): typeof import('./graphql').SignupDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }\n"): typeof import('./graphql').LoginDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }\n"): typeof import('./graphql').RefreshDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me { me { ...UserFields } }\n"): typeof import('./graphql').MeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }\n"): typeof import('./graphql').ConversationsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Inbox {\n    inbox {\n      __typename\n      ... on ConversationChanged { conversation { ...ConversationFields } }\n      ... on AddedToConversation { conversation { ...ConversationFields } }\n      ... on RemovedFromConversation { conversationId }\n    }\n  }\n"): typeof import('./graphql').InboxDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }\n"): typeof import('./graphql').SearchUsersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) { ...ConversationFields }\n  }\n"): typeof import('./graphql').CreateConversationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddParticipant($conversationId: ID!, $userId: ID!) {\n    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }\n  }\n"): typeof import('./graphql').AddParticipantDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query History($conversationId: ID!, $before: StreamId) {\n    messages(conversationId: $conversationId, before: $before, limit: 30) {\n      hasMore messages { ...MessageFields }\n    }\n  }\n"): typeof import('./graphql').HistoryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Events($conversationId: ID!, $since: StreamId) {\n    conversationEvents(conversationId: $conversationId, since: $since) {\n      __typename\n      ... on MessageAdded { id message { ...MessageFields } }\n      ... on MessageEdited { id message { ...MessageFields } }\n      ... on MessageDeleted { id message { ...MessageFields } }\n      ... on ReadMarkerMoved { id upTo user { ...UserFields } }\n      ... on ParticipantJoined { id user { ...UserFields } }\n      ... on ParticipantLeft { id user { ...UserFields } }\n      ... on TypingChanged { typing user { ...UserFields } }\n      ... on PresenceChanged { online user { ...UserFields } }\n    }\n  }\n"): typeof import('./graphql').EventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Send($conversationId: ID!, $content: String!) {\n    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }\n  }\n"): typeof import('./graphql').SendDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {\n    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }\n  }\n"): typeof import('./graphql').EditDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Delete($conversationId: ID!, $messageId: StreamId!) {\n    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }\n  }\n"): typeof import('./graphql').DeleteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {\n    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }\n  }\n"): typeof import('./graphql').MarkReadDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }\n"): typeof import('./graphql').ConversationByIdDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetTyping($conversationId: ID!, $typing: Boolean) {\n    setTyping(conversationId: $conversationId, typing: $typing)\n  }\n"): typeof import('./graphql').SetTypingDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
