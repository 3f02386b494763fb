import { ChatMessage, Member } from '../core/models';
import { initialMessagesState } from './messages.reducer';
import { initialPresenceState } from './presence.reducer';
import { RoomEntry, initialRoomsState } from './rooms.reducer';
import { initialSessionState } from './session.reducer';
import { presenceText, seenBy, selectRoomList, selectTotalUnread, selectTypingByRoom, tickFor, typingText } from './selectors';

const member = (userId: string, last: string | null = null): Member => ({
  chatId: 1,
  userId,
  admin: false,
  lastReadMessageId: last,
  user: { userId, username: userId, fullName: `${userId[0].toUpperCase()}${userId.slice(1)} Smith`, avatar: null },
});

const entry = (chatId: number, over: Partial<RoomEntry> & { at?: string; type?: RoomEntry['room']['type'] } = {}): RoomEntry => ({
  room: { chatId, name: `Room ${chatId}`, type: over.type ?? 'PRIVATE', createdAt: over.at ?? '2026-01-01T00:00:00.000Z', description: null, icon: null },
  members: over.members ?? [member('me'), member('bob')],
  latestMessage: over.latestMessage ?? null,
  unreadCount: over.unreadCount ?? 0,
});

const m = (id: string, over: Partial<ChatMessage> = {}): ChatMessage => ({
  key: id,
  messageId: id,
  chatRoomId: 1,
  userId: 'me',
  content: 'x',
  timestamp: '2026-01-03T00:00:00.000Z',
  status: 'SENT',
  type: 'TEXT',
  edited: false,
  ...over,
});

function state(byId: Record<number, RoomEntry>, typing: Record<number, Record<string, number>> = {}) {
  return {
    session: { ...initialSessionState, userId: 'me', users: { bob: { userId: 'bob', username: 'bob', fullName: 'Bob Smith', avatar: null }, cy: { userId: 'cy', username: 'cy', fullName: 'Cy Young', avatar: null }, di: { userId: 'di', username: 'di', fullName: 'Di Prince', avatar: null } } },
    rooms: { ...initialRoomsState, byId },
    messages: initialMessagesState,
    presence: { ...initialPresenceState, typing },
  };
}

describe('selectors', () => {
  it('sorts rooms by last activity (latest message, else creation), newest first', () => {
    const s = state({
      1: entry(1, { at: '2026-01-05T00:00:00.000Z' }),
      2: entry(2, { latestMessage: m('01A', { timestamp: '2026-01-06T00:00:00.000Z' }) }),
      3: entry(3, { at: '2026-01-04T00:00:00.000Z', latestMessage: m('01B', { timestamp: '2026-01-07T10:00:00.000+02:00' }) }),
    });
    expect(selectRoomList(s).map((r) => r.chatId)).toEqual([3, 2, 1]);
  });

  it('titles a DM with the other member and a group with its name', () => {
    const s = state({ 1: entry(1, { type: 'DIRECT_MESSAGE' }), 2: entry(2, { members: [member('me'), member('bob'), member('cy'), member('di'), member('ed')] }) });
    const [dm, group] = [...selectRoomList(s)].sort((a, b) => a.chatId - b.chatId);
    expect(dm.title).toBe('Bob Smith');
    expect(dm.isDm).toBe(true);
    expect(group.title).toBe('Room 2');
    expect(group.subtitle).toBe('You, Bob Smith, Cy Smith, Di Smith (+1 more)');
  });

  it('totals unread counts for the document title', () => {
    expect(selectTotalUnread(state({ 1: entry(1, { unreadCount: 2 }), 2: entry(2, { unreadCount: 3 }) }))).toBe(5);
  });

  it('words typing indicators and leaves out the viewer', () => {
    const users = state({}).session.users;
    expect(typingText(['bob'], true, users)).toBe('typing…');
    expect(typingText(['bob'], false, users)).toBe('Bob is typing…');
    expect(typingText(['bob', 'cy'], false, users)).toBe('Bob and Cy are typing…');
    expect(typingText(['bob', 'cy', 'di'], false, users)).toBe('Bob and 2 others are typing…');
    const s = state({ 1: entry(1) }, { 1: { me: Date.now() + 5000, bob: Date.now() + 5000 } });
    expect(selectTypingByRoom(s)).toEqual({ 1: 'Bob is typing…' });
    expect(selectTypingByRoom(state({ 1: entry(1) }, { 1: { me: 1 } }))).toEqual({});
  });

  describe('ticks', () => {
    const dm = [member('me'), member('bob')];
    it('sending, failed, sent, delivered, read', () => {
      expect(tickFor(m('', { local: 'sending' }), dm, 'me')).toBe('sending');
      expect(tickFor(m('', { local: 'uploading' }), dm, 'me')).toBe('sending');
      expect(tickFor(m('', { local: 'failed' }), dm, 'me')).toBe('failed');
      expect(tickFor(m('01B'), dm, 'me')).toBe('sent');
      expect(tickFor(m('01B', { status: 'DELIVERED' }), dm, 'me')).toBe('delivered');
      expect(tickFor(m('01B', { status: 'READ' }), dm, 'me')).toBe('read');
    });
    it('read from the other member’s read marker', () => {
      expect(tickFor(m('01B'), [member('me'), member('bob', '01C')], 'me')).toBe('read');
      expect(tickFor(m('01D'), [member('me'), member('bob', '01C')], 'me')).toBe('sent');
    });
    it('in a group, read only when everyone has read it; seen-by counts readers', () => {
      const g = [member('me'), member('bob', '01C'), member('cy', '01A')];
      expect(tickFor(m('01B', { status: 'DELIVERED' }), g, 'me')).toBe('delivered');
      expect(seenBy(m('01B'), g, 'me')).toBe(1);
      expect(seenBy(m('01A'), g, 'me')).toBe(2);
      expect(tickFor(m('01A'), g, 'me')).toBe('read');
    });
  });

  it('describes presence', () => {
    const now = Date.parse('2026-01-10T12:00:00.000Z');
    expect(presenceText({ status: 'ONLINE', lastSeen: null }, now)).toBe('Online');
    expect(presenceText({ status: 'OFFLINE', lastSeen: null }, now)).toBe('Offline');
    expect(presenceText({ status: 'OFFLINE', lastSeen: '2026-01-10T11:55:00.000Z' }, now)).toBe('Last seen 5 min ago');
    expect(presenceText({ status: 'OFFLINE', lastSeen: '2026-01-10T09:00:00.000Z' }, now)).toBe('Last seen 3 h ago');
  });
});
