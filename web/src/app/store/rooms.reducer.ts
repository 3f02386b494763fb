import { createFeature, createReducer, on } from '@ngrx/store';
import { Member, Message, Room } from '../core/models';
import { maxStatus } from '../core/models';
import { messageActions, roomActions, sessionActions } from './actions';

export interface RoomEntry {
  room: Room;
  members: Member[] | null;
  latestMessage: Message | null;
  unreadCount: number;
}

export interface RoomsState {
  byId: Record<number, RoomEntry>;
  loaded: boolean;
  loading: boolean;
  error: string | null;
  selectedId: number | null;
  creating: boolean;
  createError: string | null;
  meId: string | null;
}

export const initialRoomsState: RoomsState = {
  byId: {},
  loaded: false,
  loading: false,
  error: null,
  selectedId: null,
  creating: false,
  createError: null,
  meId: null,
};

function stripRoom(r: Room): Room {
  const { members: _m, latestMessage: _l, unreadCount: _u, ...room } = r;
  return room;
}

function entryFrom(r: Room, prev?: RoomEntry): RoomEntry {
  return {
    room: stripRoom(r),
    members: r.members ?? prev?.members ?? null,
    latestMessage: r.latestMessage !== undefined ? r.latestMessage : (prev?.latestMessage ?? null),
    unreadCount: r.unreadCount ?? prev?.unreadCount ?? 0,
  };
}

function markerOf(e: RoomEntry, userId: string | null): string | null {
  if (!userId || !e.members) return null;
  return e.members.find((m) => m.userId === userId)?.lastReadMessageId ?? null;
}

/** Applies messages (oldest first) to an entry's latest message and unread count. */
function applyMessages(e: RoomEntry, msgs: Message[], meId: string | null): RoomEntry {
  let latest = e.latestMessage;
  let unread = e.unreadCount;
  const marker = markerOf(e, meId);
  for (const m of msgs) {
    if (!latest || m.messageId > latest.messageId) {
      latest = m;
      if (meId && m.userId !== meId && (!marker || m.messageId > marker)) unread++;
    } else if (m.messageId === latest.messageId) {
      latest = { ...latest, ...m, status: maxStatus(latest.status, m.status) };
    }
  }
  if (latest === e.latestMessage && unread === e.unreadCount) return e;
  return { ...e, latestMessage: latest, unreadCount: unread };
}

export const roomsFeature = createFeature({
  name: 'rooms',
  reducer: createReducer(
    initialRoomsState,
    on(sessionActions.meLoaded, (s, { user }) => ({ ...s, meId: user.userId })),
    on(sessionActions.started, (s, { userId }) => ({ ...s, meId: userId })),
    on(roomActions.load, (s) => ({ ...s, loading: true, error: null })),
    on(roomActions.loaded, (s, { rooms }) => {
      const byId: Record<number, RoomEntry> = {};
      for (const r of rooms) byId[r.chatId] = entryFrom(r, s.byId[r.chatId]);
      return { ...s, byId, loaded: true, loading: false, error: null };
    }),
    on(roomActions.loadFailed, (s, { error }) => ({ ...s, loading: false, error })),
    on(roomActions.upserted, (s, { room }) => ({ ...s, byId: { ...s.byId, [room.chatId]: entryFrom(room, s.byId[room.chatId]) } })),
    on(roomActions.created, (s, { room }) => ({
      ...s,
      creating: false,
      createError: null,
      byId: { ...s.byId, [room.chatId]: entryFrom(room, s.byId[room.chatId]) },
    })),
    on(roomActions.create, (s) => ({ ...s, creating: true, createError: null })),
    on(roomActions.createFailed, (s, { error }) => ({ ...s, creating: false, createError: error })),
    on(roomActions.removed, (s, { chatId }) => {
      if (!s.byId[chatId]) return s;
      const { [chatId]: _gone, ...byId } = s.byId;
      return { ...s, byId, selectedId: s.selectedId === chatId ? null : s.selectedId };
    }),
    on(roomActions.membersLoaded, (s, { chatId, members }) => {
      const e = s.byId[chatId];
      return e ? { ...s, byId: { ...s.byId, [chatId]: { ...e, members } } } : s;
    }),
    on(roomActions.select, (s, { chatId }) => ({ ...s, selectedId: chatId })),
    on(roomActions.readMarkerMoved, (s, { chatId, userId, lastReadMessageId }) => {
      const e = s.byId[chatId];
      if (!e?.members) return s;
      let changed = false;
      const members = e.members.map((m) => {
        if (m.userId !== userId || (m.lastReadMessageId && m.lastReadMessageId >= lastReadMessageId)) return m;
        changed = true;
        return { ...m, lastReadMessageId };
      });
      return changed ? { ...s, byId: { ...s.byId, [chatId]: { ...e, members } } } : s;
    }),
    on(roomActions.unreadSet, (s, { chatId, count }) => {
      const e = s.byId[chatId];
      return e && e.unreadCount !== count ? { ...s, byId: { ...s.byId, [chatId]: { ...e, unreadCount: count } } } : s;
    }),
    on(messageActions.received, (s, { message, meId }) => {
      const e = s.byId[message.chatRoomId];
      if (!e) return s;
      const next = applyMessages(e, [message], meId ?? s.meId);
      return next === e ? s : { ...s, byId: { ...s.byId, [message.chatRoomId]: next } };
    }),
    on(messageActions.historyLoaded, (s, { chatId, messages, mode }) => {
      const e = s.byId[chatId];
      if (!e || mode === 'older') return s;
      // Initial loads and catch-up may carry messages newer than the list's latest message.
      const next = applyMessages(e, messages, mode === 'after' ? s.meId : null);
      return next === e ? s : { ...s, byId: { ...s.byId, [chatId]: next } };
    }),
    on(messageActions.acknowledged, (s) => s),
  ),
});
