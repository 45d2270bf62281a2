// Every operation the client sends. GraphQL Code Generator reads these and
// writes their result and variable types to src/gql (`npm run codegen`).
import { graphql } from "../gql";

export const UserFields = graphql(`
  fragment UserFields on User { id username fullName }
`);

export const MessageFields = graphql(`
  fragment MessageFields on Message {
    id conversationId content createdAt editedAt deleted
    sender { ...UserFields }
  }
`);

export const ConversationFields = graphql(`
  fragment ConversationFields on Conversation {
    id name updatedAt unreadCount lastReadId
    lastMessage { ...MessageFields }
    participants { id role user { ...UserFields } }
    onlineParticipants { id }
  }
`);

export const AuthFields = graphql(`
  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }
`);

export const Signup = graphql(`
  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }
`);
export const Login = graphql(`
  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }
`);
export const Refresh = graphql(`
  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }
`);
export const Me = graphql(`
  query Me { me { ...UserFields } }
`);

export const Conversations = graphql(`
  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }
`);
export const Inbox = graphql(`
  subscription Inbox {
    inbox {
      __typename
      ... on ConversationChanged { conversation { ...ConversationFields } }
      ... on AddedToConversation { conversation { ...ConversationFields } }
      ... on RemovedFromConversation { conversationId }
    }
  }
`);
export const SearchUsers = graphql(`
  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }
`);
export const CreateConversation = graphql(`
  mutation CreateConversation($input: CreateConversationInput!) {
    createConversation(input: $input) { ...ConversationFields }
  }
`);
export const AddParticipant = graphql(`
  mutation AddParticipant($conversationId: ID!, $userId: ID!) {
    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }
  }
`);

export const History = graphql(`
  query History($conversationId: ID!, $before: StreamId) {
    messages(conversationId: $conversationId, before: $before, limit: 30) {
      hasMore messages { ...MessageFields }
    }
  }
`);
export const Events = graphql(`
  subscription Events($conversationId: ID!, $since: StreamId) {
    conversationEvents(conversationId: $conversationId, since: $since) {
      __typename
      ... on MessageAdded { id message { ...MessageFields } }
      ... on MessageEdited { id message { ...MessageFields } }
      ... on MessageDeleted { id message { ...MessageFields } }
      ... on ReadMarkerMoved { id upTo user { ...UserFields } }
      ... on ParticipantJoined { id user { ...UserFields } }
      ... on ParticipantLeft { id user { ...UserFields } }
      ... on TypingChanged { typing user { ...UserFields } }
      ... on PresenceChanged { online user { ...UserFields } }
    }
  }
`);
export const Send = graphql(`
  mutation Send($conversationId: ID!, $content: String!) {
    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }
  }
`);
export const Edit = graphql(`
  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {
    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }
  }
`);
export const Delete = graphql(`
  mutation Delete($conversationId: ID!, $messageId: StreamId!) {
    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }
  }
`);
export const MarkRead = graphql(`
  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {
    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }
  }
`);
export const ConversationById = graphql(`
  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }
`);
export const SetTyping = graphql(`
  mutation SetTyping($conversationId: ID!, $typing: Boolean) {
    setTyping(conversationId: $conversationId, typing: $typing)
  }
`);
