// Per-room message logs. Server messages are keyed and ordered by messageId (a ULID: time-ordered,
// the room's total order) and deduplicated by it; the sender's optimistic copies are keyed by
// `c:<clientMessageId>` and follow the server messages until acknowledged. A status only moves
// forward. `seq` gaps are flagged so an effect can fetch what is missing.
import { createFeature, createReducer, on } from '@ngrx/store';
import { ChatMessage, Message, maxStatus } from '../core/models';
import { messageActions, roomActions } from './actions';

export interface RoomLog {
  keys: string[];
  byKey: Record<string, ChatMessage>;
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  hasMoreBefore: boolean;
  catchingUp: boolean;
  /** A live message arrived whose seq is past the next expected one. */
  gap: boolean;
  error: string | null;
}

export interface MessagesState {
  byRoom: Record<number, RoomLog>;
}

export const initialMessagesState: MessagesState = { byRoom: {} };

export function emptyLog(): RoomLog {
  return {
    keys: [],
    byKey: {},
    loaded: false,
    loading: false,
    loadingOlder: false,
    hasMoreBefore: false,
    catchingUp: false,
    gap: false,
    error: null,
  };
}

export const pendingKey = (clientMessageId: string) => `c:${clientMessageId}`;

function order(byKey: Record<string, ChatMessage>, prevKeys: string[]): string[] {
  const server: string[] = [];
  const pending: string[] = [];
  const seen = new Set<string>();
  for (const k of prevKeys) {
    if (!byKey[k] || seen.has(k)) continue;
    seen.add(k);
    (byKey[k].local ? pending : server).push(k);
  }
  for (const k of Object.keys(byKey)) {
    if (seen.has(k)) continue;
    (byKey[k].local ? pending : server).push(k);
  }
  server.sort();
  return [...server, ...pending];
}

/** The highest seq among server messages, or 0. */
export function maxSeq(log: RoomLog): number {
  let n = 0;
  for (const k of log.keys) {
    const s = log.byKey[k]?.seq;
    if (!log.byKey[k]?.local && typeof s === 'number' && s > n) n = s;
  }
  return n;
}

/**
 * The id to catch up from: the newest server message before the first seq gap (or the newest
 * one when there is no gap). Null when nothing is loaded.
 */
export function catchUpCursor(log: RoomLog): string | null {
  let last: ChatMessage | null = null;
  let lastSeq: number | null = null;
  for (const k of log.keys) {
    const m = log.byKey[k];
    if (!m || m.local) continue;
    if (typeof m.seq === 'number') {
      if (lastSeq !== null && m.seq > lastSeq + 1) return last?.messageId ?? null;
      lastSeq = m.seq;
    }
    last = m;
  }
  return last?.messageId ?? null;
}

/** Merges server messages into a log (dedupe by messageId; replaces matching pending copies). */
export function mergeMessages(log: RoomLog, msgs: Message[]): RoomLog {
  if (!msgs.length) return log;
  const byKey = { ...log.byKey };
  for (const m of msgs) {
    const existing = byKey[m.messageId];
    if (existing) {
      byKey[m.messageId] = { ...existing, ...m, key: m.messageId, status: maxStatus(existing.status, m.status), local: undefined };
      continue;
    }
    if (m.clientMessageId) {
      const pk = pendingKey(m.clientMessageId);
      const pending = byKey[pk];
      if (pending && pending.userId === m.userId) delete byKey[pk];
    }
    byKey[m.messageId] = { ...m, key: m.messageId };
  }
  return { ...log, byKey, keys: order(byKey, log.keys) };
}

function update(state: MessagesState, chatId: number, f: (log: RoomLog) => RoomLog): MessagesState {
  const log = state.byRoom[chatId] ?? emptyLog();
  const next = f(log);
  return next === log ? state : { ...state, byRoom: { ...state.byRoom, [chatId]: next } };
}

function updatePending(log: RoomLog, clientMessageId: string, f: (m: ChatMessage) => ChatMessage | null): RoomLog {
  const k = pendingKey(clientMessageId);
  const m = log.byKey[k];
  if (!m) return log;
  const byKey = { ...log.byKey };
  const n = f(m);
  if (n) byKey[k] = n;
  else delete byKey[k];
  return { ...log, byKey, keys: order(byKey, log.keys) };
}

export const messagesFeature = createFeature({
  name: 'messages',
  reducer: createReducer(
    initialMessagesState,
    on(messageActions.open, (s, { chatId }) =>
      update(s, chatId, (log) => (log.loaded || log.loading ? log : { ...log, loading: true, error: null })),
    ),
    on(messageActions.historyLoaded, (s, { chatId, messages, hasMore, mode }) =>
      update(s, chatId, (log) => {
        const merged = mergeMessages(log, messages);
        if (mode === 'initial') return { ...merged, loaded: true, loading: false, hasMoreBefore: hasMore, error: null, gap: false };
        if (mode === 'older') return { ...merged, loadingOlder: false, hasMoreBefore: hasMore };
        return { ...merged, catchingUp: hasMore, gap: hasMore ? merged.gap : catchUpCursor(merged) !== lastServerId(merged) };
      }),
    ),
    on(messageActions.historyFailed, (s, { chatId, error }) =>
      update(s, chatId, (log) => ({ ...log, loading: false, loadingOlder: false, catchingUp: false, error })),
    ),
    on(messageActions.loadOlder, (s, { chatId }) => update(s, chatId, (log) => ({ ...log, loadingOlder: true }))),
    on(messageActions.catchUp, (s, { chatId }) => update(s, chatId, (log) => ({ ...log, catchingUp: true }))),
    on(messageActions.received, (s, { message }) => {
      const log = s.byRoom[message.chatRoomId];
      // Rooms never opened keep no log: the room list shows their latest message.
      if (!log || (!log.loaded && !log.loading)) return s;
      return update(s, message.chatRoomId, (l) => {
        const top = maxSeq(l);
        const merged = mergeMessages(l, [message]);
        const gap = l.loaded && top > 0 && typeof message.seq === 'number' && message.seq > top + 1;
        return gap ? { ...merged, gap: true } : merged;
      });
    }),
    on(messageActions.pendingAdded, (s, { message }) =>
      update(s, message.chatRoomId, (log) => {
        const byKey = { ...log.byKey, [message.key]: message };
        return { ...log, byKey, keys: order(byKey, log.keys) };
      }),
    ),
    on(messageActions.uploadDone, (s, { chatId, clientMessageId, viewUrl }) =>
      update(s, chatId, (log) => updatePending(log, clientMessageId, (m) => ({ ...m, content: viewUrl, local: 'sending', error: undefined }))),
    ),
    on(messageActions.acknowledged, (s, { chatId, clientMessageId, messageId }) =>
      update(s, chatId, (log) => {
        const pk = pendingKey(clientMessageId);
        const pending = log.byKey[pk];
        if (!pending) return log;
        const byKey = { ...log.byKey };
        delete byKey[pk];
        if (!byKey[messageId]) {
          byKey[messageId] = { ...pending, messageId, key: messageId, local: undefined, error: undefined, status: 'SENT' };
        }
        return { ...log, byKey, keys: order(byKey, log.keys) };
      }),
    ),
    on(messageActions.sendFailed, (s, { chatId, clientMessageId, error }) =>
      update(s, chatId, (log) => updatePending(log, clientMessageId, (m) => ({ ...m, local: 'failed', error }))),
    ),
    on(messageActions.retry, (s, { chatId, clientMessageId }) =>
      update(s, chatId, (log) =>
        updatePending(log, clientMessageId, (m) => ({ ...m, local: m.type !== 'TEXT' && m.preview && !/^https?:/.test(m.content) ? 'uploading' : 'sending', error: undefined })),
      ),
    ),
    on(messageActions.discard, (s, { chatId, clientMessageId }) => update(s, chatId, (log) => updatePending(log, clientMessageId, () => null))),
    on(roomActions.removed, (s, { chatId }) => {
      if (!s.byRoom[chatId]) return s;
      const { [chatId]: _gone, ...byRoom } = s.byRoom;
      return { ...s, byRoom };
    }),
  ),
});

function lastServerId(log: RoomLog): string | null {
  for (let i = log.keys.length - 1; i >= 0; i--) {
    const m = log.byKey[log.keys[i]];
    if (m && !m.local) return m.messageId;
  }
  return null;
}
