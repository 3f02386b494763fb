import { createSelector } from '@ngrx/store';
import { ChatMessage, Member, UserSummary, statusRank } from '../core/models';
import { RoomLog, emptyLog } from './messages.reducer';
import { messagesFeature } from './messages.reducer';
import { PresenceEntry, presenceFeature } from './presence.reducer';
import { RoomEntry, roomsFeature } from './rooms.reducer';
import { sessionFeature } from './session.reducer';

export const selectMe = sessionFeature.selectMe;
export const selectMeId = createSelector(selectMe, sessionFeature.selectUserId, (me, id) => me?.userId ?? id ?? null);
export const selectUsers = sessionFeature.selectUsers;

export interface RoomView {
  chatId: number;
  type: RoomEntry['room']['type'];
  isDm: boolean;
  title: string;
  subtitle: string;
  avatar: string | null;
  /** For DMs: the other member. */
  other: UserSummary | null;
  latest: RoomEntry['latestMessage'];
  lastActivity: number;
  unreadCount: number;
  members: Member[] | null;
  iAmAdmin: boolean;
  entry: RoomEntry;
}

export function lastActivity(e: RoomEntry): number {
  const t = e.latestMessage?.timestamp ?? e.room.createdAt;
  const n = Date.parse(t);
  return Number.isNaN(n) ? 0 : n;
}

export function toRoomView(e: RoomEntry, meId: string | null): RoomView {
  const isDm = e.room.type === 'DIRECT_MESSAGE';
  const others = (e.members ?? []).filter((m) => m.userId !== meId);
  const other = isDm ? (others[0]?.user ?? null) : null;
  const names = others.map((m) => m.user.fullName);
  const summary = !e.members
    ? ''
    : names.length === 0
      ? 'Only you'
      : `You, ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` (+${names.length - 3} more)` : ''}`;
  return {
    chatId: e.room.chatId,
    type: e.room.type,
    isDm,
    title: isDm ? (other?.fullName ?? 'Direct message') : e.room.name,
    subtitle: isDm ? (other ? `@${other.username}` : '') : summary,
    avatar: isDm ? (other?.avatar ?? null) : e.room.icon,
    other,
    latest: e.latestMessage,
    lastActivity: lastActivity(e),
    unreadCount: e.unreadCount,
    members: e.members,
    iAmAdmin: !!e.members?.find((m) => m.userId === meId)?.admin,
    entry: e,
  };
}

/** Rooms, newest activity first (the latest message's time, else the creation time). */
export const selectRoomList = createSelector(roomsFeature.selectById, selectMeId, (byId, meId) =>
  Object.values(byId)
    .map((e) => toRoomView(e, meId))
    .sort((a, b) => b.lastActivity - a.lastActivity || b.chatId - a.chatId),
);

export const selectRoomIds = createSelector(roomsFeature.selectById, (byId) =>
  Object.keys(byId)
    .map(Number)
    .sort((a, b) => a - b),
);

export const selectSelectedId = roomsFeature.selectSelectedId;

export const selectRoom = (chatId: number) =>
  createSelector(roomsFeature.selectById, selectMeId, (byId, meId) => (byId[chatId] ? toRoomView(byId[chatId], meId) : null));

export const selectTotalUnread = createSelector(roomsFeature.selectById, (byId) =>
  Object.values(byId).reduce((n, e) => n + (e.unreadCount || 0), 0),
);

export const selectLog = (chatId: number) =>
  createSelector(messagesFeature.selectByRoom, (byRoom): RoomLog => byRoom[chatId] ?? emptyLog());

export const selectMessages = (chatId: number) =>
  createSelector(selectLog(chatId), (log): ChatMessage[] => log.keys.map((k) => log.byKey[k]).filter((m): m is ChatMessage => !!m));

export const selectPresence = presenceFeature.selectByUser;

/** "Typing…" (DM) or "Ann is typing…", "Ann and Bo are typing…", "Ann and 3 others are typing…". */
export function typingText(userIds: string[], isDm: boolean, users: Record<string, UserSummary>): string | null {
  if (!userIds.length) return null;
  if (isDm) return 'typing…';
  const names = userIds.map((id) => users[id]?.fullName?.split(' ')[0] ?? 'Someone');
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]} and ${names.length - 1} others are typing…`;
}

export const selectTypingByRoom = createSelector(
  presenceFeature.selectTyping,
  roomsFeature.selectById,
  selectMeId,
  selectUsers,
  (typing, byId, meId, users) => {
    const out: Record<number, string> = {};
    for (const [id, who] of Object.entries(typing)) {
      const e = byId[Number(id)];
      if (!e) continue;
      const ids = Object.keys(who).filter((u) => u !== meId);
      const t = typingText(ids, e.room.type === 'DIRECT_MESSAGE', users);
      if (t) out[Number(id)] = t;
    }
    return out;
  },
);

export type Tick = 'sending' | 'failed' | 'sent' | 'delivered' | 'read';

/**
 * The tick of an own message: from its local state, its status, and the other members' read
 * markers (read when every other member has read past it).
 */
export function tickFor(m: ChatMessage, members: Member[] | null, meId: string | null): Tick {
  if (m.local === 'failed') return 'failed';
  if (m.local) return 'sending';
  const others = (members ?? []).filter((x) => x.userId !== meId);
  if (others.length && others.every((x) => x.lastReadMessageId && x.lastReadMessageId >= m.messageId)) return 'read';
  if (statusRank(m.status) >= statusRank('READ') && others.length <= 1) return 'read';
  if (statusRank(m.status) >= statusRank('DELIVERED')) return 'delivered';
  return 'sent';
}

/** How many members other than the sender (and the viewer) have read up to the message. */
export function seenBy(m: ChatMessage, members: Member[] | null, meId: string | null): number {
  if (m.local) return 0;
  return (members ?? []).filter((x) => x.userId !== m.userId && x.userId !== meId && x.lastReadMessageId && x.lastReadMessageId >= m.messageId)
    .length;
}

export function presenceText(p: PresenceEntry | undefined, now = Date.now()): string {
  if (!p) return '';
  if (p.status === 'ONLINE') return 'Online';
  if (!p.lastSeen) return 'Offline';
  return `Last seen ${relativeTime(p.lastSeen, now)}`;
}

export function relativeTime(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = new Date(t);
  const days = Math.floor(h / 24);
  if (days === 1) return `yesterday at ${d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })}`;
  return d.toLocaleDateString([], { day: 'numeric', month: 'short', year: days > 300 ? 'numeric' : undefined });
}
