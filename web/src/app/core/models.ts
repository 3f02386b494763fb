// Wire types of the Parley API (docs/API.md in the shared docs) plus client-side extensions.

export type RoomType = 'PUBLIC' | 'PRIVATE' | 'DIRECT_MESSAGE';
export type MessageStatus = 'SENT' | 'DELIVERED' | 'READ';
export type MessageType = 'TEXT' | 'IMAGE' | 'FILE';

export interface User {
  userId: string;
  username: string;
  email: string | null;
  fullName: string;
  avatar: string | null;
  bio: string | null;
}

export interface UserSummary {
  userId: string;
  username: string;
  fullName: string;
  avatar: string | null;
  bio?: string | null;
}

export interface Member {
  chatId: number;
  userId: string;
  admin: boolean;
  lastReadMessageId: string | null;
  user: UserSummary;
}

export interface Room {
  chatId: number;
  name: string;
  type: RoomType;
  createdAt: string;
  description: string | null;
  icon: string | null;
  members?: Member[];
  latestMessage?: Message | null;
  unreadCount?: number;
}

export interface Message {
  messageId: string;
  chatRoomId: number;
  userId: string;
  content: string;
  timestamp: string;
  status: MessageStatus;
  type: MessageType;
  edited: boolean;
  seq?: number | null;
  clientMessageId?: string | null;
}

/** A message as the client holds it: a server message, or an optimistic one not yet acknowledged. */
export interface ChatMessage extends Message {
  /** Stable key for rendering: the messageId, or `c:<clientMessageId>` while pending. */
  key: string;
  /** Set while the message is not acknowledged by the server. */
  local?: 'uploading' | 'sending' | 'failed';
  /** Local object URL for an attachment being uploaded. */
  preview?: string;
  /** Why sending failed (shown next to the retry action). */
  error?: string;
}

export interface Page<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
  size: number;
  number: number;
  last: boolean;
}

export interface CursorPage<T> {
  content: T[];
  hasMore: boolean;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface Presence {
  userId: string;
  status: 'ONLINE' | 'OFFLINE';
  lastSeen: string | null;
}

export type UserEventType =
  | 'ROOM_ADDED'
  | 'ROOM_UPDATED'
  | 'ROOM_REMOVED'
  | 'ROOM_DELETED'
  | 'MEMBER_ADDED'
  | 'MEMBER_REMOVED'
  | 'PRESENCE';

export interface UserEvent {
  type: UserEventType;
  chatId: number | null;
  room: Room | null;
  userId: string | null;
  status: 'ONLINE' | 'OFFLINE' | null;
  lastSeen: string | null;
}

export interface TypingEvent {
  chatId: number;
  userId: string;
  typing: boolean;
}

export interface ReceiptEvent {
  chatId: number;
  userId: string;
  lastReadMessageId: string;
}

export interface QueueError {
  code: string;
  message: string;
  destination: string | null;
  receiptId: string | null;
  errors?: Record<string, string>;
}

export interface ApiError {
  status: number;
  message: string;
  errors?: Record<string, string>;
}

const STATUS_RANK: Record<MessageStatus, number> = { SENT: 0, DELIVERED: 1, READ: 2 };

/** The later of two statuses: a status only moves forward. */
export function maxStatus(a: MessageStatus, b: MessageStatus): MessageStatus {
  return STATUS_RANK[a] >= STATUS_RANK[b] ? a : b;
}

export function statusRank(s: MessageStatus): number {
  return STATUS_RANK[s];
}

/** The largest valid ULID: `before=` this id answers the newest messages. */
export const MAX_ULID = '7ZZZZZZZZZZZZZZZZZZZZZZZZZ';
