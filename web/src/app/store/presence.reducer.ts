import { createFeature, createReducer, on } from '@ngrx/store';
import { messageActions, presenceActions } from './actions';

export interface PresenceEntry {
  status: 'ONLINE' | 'OFFLINE';
  lastSeen: string | null;
}

export interface PresenceState {
  byUser: Record<string, PresenceEntry>;
  /** chatId → userId → epoch ms when the typing indicator expires. */
  typing: Record<number, Record<string, number>>;
}

export const initialPresenceState: PresenceState = { byUser: {}, typing: {} };

/** A typing indicator disappears this long after the last `typing:true` (senders refresh it). */
export const TYPING_TTL_MS = 6_000;

export const presenceFeature = createFeature({
  name: 'presence',
  reducer: createReducer(
    initialPresenceState,
    on(presenceActions.loaded, (s, { entries }) => {
      const byUser = { ...s.byUser };
      for (const e of entries) byUser[e.userId] = { status: e.status, lastSeen: e.lastSeen };
      return { ...s, byUser };
    }),
    on(presenceActions.changed, (s, { userId, status, lastSeen }) => ({
      ...s,
      byUser: { ...s.byUser, [userId]: { status, lastSeen: lastSeen ?? s.byUser[userId]?.lastSeen ?? null } },
    })),
    on(presenceActions.typing, (s, { chatId, userId, typing, now }) => {
      const room = { ...(s.typing[chatId] ?? {}) };
      if (typing) room[userId] = now + TYPING_TTL_MS;
      else if (room[userId] !== undefined) delete room[userId];
      else return s;
      return { ...s, typing: { ...s.typing, [chatId]: room } };
    }),
    on(messageActions.received, (s, { message }) => {
      if (s.typing[message.chatRoomId]?.[message.userId] === undefined) return s;
      const room = { ...s.typing[message.chatRoomId] };
      delete room[message.userId];
      return { ...s, typing: { ...s.typing, [message.chatRoomId]: room } };
    }),
    on(presenceActions.typingExpired, (s, { chatId, userId, now }) => {
      const exp = s.typing[chatId]?.[userId];
      if (exp === undefined || exp > now) return s;
      const room = { ...s.typing[chatId] };
      delete room[userId];
      return { ...s, typing: { ...s.typing, [chatId]: room } };
    }),
  ),
});
