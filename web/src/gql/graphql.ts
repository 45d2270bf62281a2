/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A new conversation. */
export type CreateConversationInput = {
  name: string;
  participantIds?: Array<string | number> | null | undefined;
};

/** Credentials. */
export type LoginInput = {
  email: string;
  password: string;
};

/** A participant's role. */
export type Role =
  | 'ADMIN'
  | 'MEMBER';

/** A new account. */
export type SignupInput = {
  email: string;
  firstName: string;
  lastName: string;
  password: string;
  passwordConfirm: string;
  username: string;
};

export type UserFieldsFragment = { id: string, username: string, fullName: string };

export type MessageFieldsFragment = { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } };

export type ConversationFieldsFragment = { id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> };

export type AuthFieldsFragment = { user: { id: string, username: string, fullName: string }, tokens: { access: string, refresh: string } };

export type SignupMutationVariables = Exact<{
  input: SignupInput;
}>;


export type SignupMutation = { signup: { user: { id: string, username: string, fullName: string }, tokens: { access: string, refresh: string } } };

export type LoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginMutation = { login: { user: { id: string, username: string, fullName: string }, tokens: { access: string, refresh: string } } };

export type RefreshMutationVariables = Exact<{
  refresh: string;
}>;


export type RefreshMutation = { refreshToken: { user: { id: string, username: string, fullName: string }, tokens: { access: string, refresh: string } } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, username: string, fullName: string } };

export type ConversationsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConversationsQuery = { conversations: { count: number, results: Array<{ id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> }> } };

export type InboxSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type InboxSubscription = { inbox:
    | { __typename: 'AddedToConversation', conversation: { id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> } }
    | { __typename: 'ConversationChanged', conversation: { id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> } }
    | { __typename: 'RemovedFromConversation', conversationId: string }
   };

export type SearchUsersQueryVariables = Exact<{
  search: string;
}>;


export type SearchUsersQuery = { users: Array<{ id: string, username: string, fullName: string }> };

export type CreateConversationMutationVariables = Exact<{
  input: CreateConversationInput;
}>;


export type CreateConversationMutation = { createConversation: { id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> } };

export type AddParticipantMutationVariables = Exact<{
  conversationId: string | number;
  userId: string | number;
}>;


export type AddParticipantMutation = { addParticipant: { id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> } };

export type HistoryQueryVariables = Exact<{
  conversationId: string | number;
  before?: string | null | undefined;
}>;


export type HistoryQuery = { messages: { hasMore: boolean, messages: Array<{ id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } }> } };

export type EventsSubscriptionVariables = Exact<{
  conversationId: string | number;
  since?: string | null | undefined;
}>;


export type EventsSubscription = { conversationEvents:
    | { __typename: 'MessageAdded', id: string, message: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } }
    | { __typename: 'MessageDeleted', id: string, message: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } }
    | { __typename: 'MessageEdited', id: string, message: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } }
    | { __typename: 'ParticipantJoined', id: string, user: { id: string, username: string, fullName: string } }
    | { __typename: 'ParticipantLeft', id: string, user: { id: string, username: string, fullName: string } }
    | { __typename: 'PresenceChanged', online: boolean, user: { id: string, username: string, fullName: string } }
    | { __typename: 'ReadMarkerMoved', id: string, upTo: string, user: { id: string, username: string, fullName: string } }
    | { __typename: 'TypingChanged', typing: boolean, user: { id: string, username: string, fullName: string } }
   };

export type SendMutationVariables = Exact<{
  conversationId: string | number;
  content: string;
}>;


export type SendMutation = { sendMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } };

export type EditMutationVariables = Exact<{
  conversationId: string | number;
  messageId: string;
  content: string;
}>;


export type EditMutation = { editMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } };

export type DeleteMutationVariables = Exact<{
  conversationId: string | number;
  messageId: string;
}>;


export type DeleteMutation = { deleteMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } };

export type MarkReadMutationVariables = Exact<{
  conversationId: string | number;
  upTo: string;
}>;


export type MarkReadMutation = { markRead: { id: string, unreadCount: number, lastReadId: string | null } };

export type ConversationByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type ConversationByIdQuery = { conversation: { id: string, name: string, updatedAt: string, unreadCount: number, lastReadId: string | null, lastMessage: { id: string, conversationId: string, content: string, createdAt: string, editedAt: string | null, deleted: boolean, sender: { id: string, username: string, fullName: string } } | null, participants: Array<{ id: string, role: Role, user: { id: string, username: string, fullName: string } }>, onlineParticipants: Array<{ id: string }> } | null };

export type SetTypingMutationVariables = Exact<{
  conversationId: string | number;
  typing?: boolean | null | undefined;
}>;


export type SetTypingMutation = { setTyping: boolean };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const UserFieldsFragmentDoc = new TypedDocumentString(`
    fragment UserFields on User {
  id
  username
  fullName
}
    `, {"fragmentName":"UserFields"}) as unknown as TypedDocumentString<UserFieldsFragment, unknown>;
export const MessageFieldsFragmentDoc = new TypedDocumentString(`
    fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`, {"fragmentName":"MessageFields"}) as unknown as TypedDocumentString<MessageFieldsFragment, unknown>;
export const ConversationFieldsFragmentDoc = new TypedDocumentString(`
    fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`, {"fragmentName":"ConversationFields"}) as unknown as TypedDocumentString<ConversationFieldsFragment, unknown>;
export const AuthFieldsFragmentDoc = new TypedDocumentString(`
    fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`, {"fragmentName":"AuthFields"}) as unknown as TypedDocumentString<AuthFieldsFragment, unknown>;
export const SignupDocument = new TypedDocumentString(`
    mutation Signup($input: SignupInput!) {
  signup(input: $input) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`) as unknown as TypedDocumentString<SignupMutation, SignupMutationVariables>;
export const LoginDocument = new TypedDocumentString(`
    mutation Login($input: LoginInput!) {
  login(input: $input) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`) as unknown as TypedDocumentString<LoginMutation, LoginMutationVariables>;
export const RefreshDocument = new TypedDocumentString(`
    mutation Refresh($refresh: String!) {
  refreshToken(refresh: $refresh) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`) as unknown as TypedDocumentString<RefreshMutation, RefreshMutationVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const ConversationsDocument = new TypedDocumentString(`
    query Conversations {
  conversations(limit: 100) {
    count
    results {
      ...ConversationFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`) as unknown as TypedDocumentString<ConversationsQuery, ConversationsQueryVariables>;
export const InboxDocument = new TypedDocumentString(`
    subscription Inbox {
  inbox {
    __typename
    ... on ConversationChanged {
      conversation {
        ...ConversationFields
      }
    }
    ... on AddedToConversation {
      conversation {
        ...ConversationFields
      }
    }
    ... on RemovedFromConversation {
      conversationId
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`) as unknown as TypedDocumentString<InboxSubscription, InboxSubscriptionVariables>;
export const SearchUsersDocument = new TypedDocumentString(`
    query SearchUsers($search: String!) {
  users(search: $search, limit: 10) {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`) as unknown as TypedDocumentString<SearchUsersQuery, SearchUsersQueryVariables>;
export const CreateConversationDocument = new TypedDocumentString(`
    mutation CreateConversation($input: CreateConversationInput!) {
  createConversation(input: $input) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`) as unknown as TypedDocumentString<CreateConversationMutation, CreateConversationMutationVariables>;
export const AddParticipantDocument = new TypedDocumentString(`
    mutation AddParticipant($conversationId: ID!, $userId: ID!) {
  addParticipant(conversationId: $conversationId, userId: $userId) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`) as unknown as TypedDocumentString<AddParticipantMutation, AddParticipantMutationVariables>;
export const HistoryDocument = new TypedDocumentString(`
    query History($conversationId: ID!, $before: StreamId) {
  messages(conversationId: $conversationId, before: $before, limit: 30) {
    hasMore
    messages {
      ...MessageFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`) as unknown as TypedDocumentString<HistoryQuery, HistoryQueryVariables>;
export const EventsDocument = new TypedDocumentString(`
    subscription Events($conversationId: ID!, $since: StreamId) {
  conversationEvents(conversationId: $conversationId, since: $since) {
    __typename
    ... on MessageAdded {
      id
      message {
        ...MessageFields
      }
    }
    ... on MessageEdited {
      id
      message {
        ...MessageFields
      }
    }
    ... on MessageDeleted {
      id
      message {
        ...MessageFields
      }
    }
    ... on ReadMarkerMoved {
      id
      upTo
      user {
        ...UserFields
      }
    }
    ... on ParticipantJoined {
      id
      user {
        ...UserFields
      }
    }
    ... on ParticipantLeft {
      id
      user {
        ...UserFields
      }
    }
    ... on TypingChanged {
      typing
      user {
        ...UserFields
      }
    }
    ... on PresenceChanged {
      online
      user {
        ...UserFields
      }
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`) as unknown as TypedDocumentString<EventsSubscription, EventsSubscriptionVariables>;
export const SendDocument = new TypedDocumentString(`
    mutation Send($conversationId: ID!, $content: String!) {
  sendMessage(conversationId: $conversationId, content: $content) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`) as unknown as TypedDocumentString<SendMutation, SendMutationVariables>;
export const EditDocument = new TypedDocumentString(`
    mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {
  editMessage(
    conversationId: $conversationId
    messageId: $messageId
    content: $content
  ) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`) as unknown as TypedDocumentString<EditMutation, EditMutationVariables>;
export const DeleteDocument = new TypedDocumentString(`
    mutation Delete($conversationId: ID!, $messageId: StreamId!) {
  deleteMessage(conversationId: $conversationId, messageId: $messageId) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`) as unknown as TypedDocumentString<DeleteMutation, DeleteMutationVariables>;
export const MarkReadDocument = new TypedDocumentString(`
    mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {
  markRead(conversationId: $conversationId, upTo: $upTo) {
    id
    unreadCount
    lastReadId
  }
}
    `) as unknown as TypedDocumentString<MarkReadMutation, MarkReadMutationVariables>;
export const ConversationByIdDocument = new TypedDocumentString(`
    query ConversationById($id: ID!) {
  conversation(id: $id) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`) as unknown as TypedDocumentString<ConversationByIdQuery, ConversationByIdQueryVariables>;
export const SetTypingDocument = new TypedDocumentString(`
    mutation SetTyping($conversationId: ID!, $typing: Boolean) {
  setTyping(conversationId: $conversationId, typing: $typing)
}
    `) as unknown as TypedDocumentString<SetTypingMutation, SetTypingMutationVariables>;