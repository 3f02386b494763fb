import { Member, Message, Room } from '../core/models';
import { messageActions, roomActions, sessionActions } from './actions';
import { roomsFeature } from './rooms.reducer';

const reducer = roomsFeature.reducer;

const member = (userId: string, last: string | null = null, admin = false): Member => ({
  chatId: 1,
  userId,
  admin,
  lastReadMessageId: last,
  user: { userId, username: userId, fullName: userId.toUpperCase(), avatar: null },
});

const room = (chatId: number, over: Partial<Room> = {}): Room => ({
  chatId,
  name: `room ${chatId}`,
  type: 'PRIVATE',
  createdAt: '2026-01-01T00:00:00.000Z',
  description: null,
  icon: null,
  members: [member('me', null, true), member('bob')],
  latestMessage: null,
  unreadCount: 0,
  ...over,
});

const msg = (id: string, userId: string, chatRoomId = 1): Message => ({
  messageId: id,
  chatRoomId,
  userId,
  content: id,
  timestamp: '2026-01-02T00:00:00.000Z',
  status: 'SENT',
  type: 'TEXT',
  edited: false,
  seq: 1,
});

function start() {
  let s = reducer(undefined, sessionActions.started({ userId: 'me' }));
  s = reducer(s, roomActions.loaded({ rooms: [room(1, { unreadCount: 2 }), room(2)] }));
  return s;
}

describe('rooms reducer', () => {
  it('loads rooms with members, latest message and unread count', () => {
    const s = start();
    expect(Object.keys(s.byId)).toEqual(['1', '2']);
    expect(s.byId[1].unreadCount).toBe(2);
    expect(s.byId[1].members?.length).toBe(2);
    expect('members' in s.byId[1].room).toBe(false);
  });

  it('counts new messages from others as unread, not my own, not repeats', () => {
    let s = start();
    s = reducer(s, messageActions.received({ message: msg('01B', 'bob'), meId: 'me' }));
    s = reducer(s, messageActions.received({ message: msg('01B', 'bob'), meId: 'me' }));
    s = reducer(s, messageActions.received({ message: msg('01C', 'me'), meId: 'me' }));
    expect(s.byId[1].unreadCount).toBe(3);
    expect(s.byId[1].latestMessage?.messageId).toBe('01C');
  });

  it('moves read markers only forward', () => {
    let s = start();
    s = reducer(s, roomActions.readMarkerMoved({ chatId: 1, userId: 'bob', lastReadMessageId: '01D' }));
    s = reducer(s, roomActions.readMarkerMoved({ chatId: 1, userId: 'bob', lastReadMessageId: '01A' }));
    expect(s.byId[1].members?.find((m) => m.userId === 'bob')?.lastReadMessageId).toBe('01D');
  });

  it('keeps members when an update event carries none', () => {
    let s = start();
    s = reducer(s, roomActions.upserted({ room: { ...room(1, { name: 'renamed' }), members: undefined, latestMessage: undefined, unreadCount: undefined } }));
    expect(s.byId[1].room.name).toBe('renamed');
    expect(s.byId[1].members?.length).toBe(2);
    expect(s.byId[1].unreadCount).toBe(2);
  });

  it('removes a room and clears the selection', () => {
    let s = start();
    s = reducer(s, roomActions.select({ chatId: 2 }));
    s = reducer(s, roomActions.removed({ chatId: 2, reason: 'deleted' }));
    expect(s.byId[2]).toBeUndefined();
    expect(s.selectedId).toBeNull();
  });

  it('drops rooms missing from a fresh list (left while offline)', () => {
    let s = start();
    s = reducer(s, roomActions.loaded({ rooms: [room(2)] }));
    expect(Object.keys(s.byId)).toEqual(['2']);
  });
});
