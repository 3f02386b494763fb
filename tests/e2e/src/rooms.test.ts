// /chat/rooms/**: DMs and groups, membership rules, admins, my rooms.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRoom, postMessage, register, registerMany, show, startServer, stopServer, type Api, type ParleyServer, type TestUser } from './harness.ts';
import { hasKeys, ISO_UTC_RE, UUID_RE } from './util.ts';

let srv: ParleyServer;
let anon: Api;

before(async () => {
  srv = await startServer();
  anon = srv.api();
});
after(() => stopServer(srv));

const ROOM_KEYS = ['chatId', 'name', 'type', 'createdAt', 'description', 'icon', 'members'];
const MEMBER_KEYS = ['chatId', 'userId', 'admin', 'lastReadMessageId', 'user'];

function memberIds(room: any): string[] {
  return room.members.map((m: any) => m.userId ?? m.user?.userId).sort();
}

function adminIds(members: any[]): string[] {
  return members.filter((m) => m.admin === true).map((m) => m.userId).sort();
}

async function members(u: TestUser, chatId: number): Promise<any[]> {
  const r = await u.api.get(`/chat/rooms/${chatId}/members`);
  assert.equal(r.status, 200, show(r));
  assert.ok(Array.isArray(r.json), 'members is an array');
  return r.json;
}

function assertError(r: { status: number; json: any; text: string }, status: number, what = ''): void {
  assert.equal(r.status, status, `${what} ${show(r as any)}`);
  assert.equal(r.json?.status, status, `${what} JSON error body: ${r.text}`);
  assert.equal(typeof r.json?.message, 'string');
}

describe('direct messages', () => {
  test('create is 201; the same pair again is 200 with the same chatId, in either direction', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    const body = { type: 'DIRECT_MESSAGE', name: 'DM', description: 'dm', memberIds: [b.userId] };
    const first = await a.api.post('/chat/rooms', body);
    assert.equal(first.status, 201, show(first));
    assert.equal(first.json.type, 'DIRECT_MESSAGE');
    assert.equal(typeof first.json.chatId, 'number', 'chatId is an integer');
    assert.ok(Number.isInteger(first.json.chatId));
    assert.deepEqual(memberIds(first.json), [a.userId, b.userId].sort());
    const again = await a.api.post('/chat/rooms', body);
    assert.equal(again.status, 200, show(again));
    assert.equal(again.json.chatId, first.json.chatId);
    const reverse = await b.api.post('/chat/rooms', { ...body, memberIds: [a.userId] });
    assert.equal(reverse.status, 200, show(reverse));
    assert.equal(reverse.json.chatId, first.json.chatId);
    // Nobody is admin of a DM.
    const ms = await members(a, first.json.chatId);
    assert.deepEqual(adminIds(ms), []);
  });

  test('needs exactly one other member (400)', async () => {
    const [a, b, c] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    for (const ids of [[], [b.userId, c.userId]]) {
      const r = await a.api.post('/chat/rooms', { type: 'DIRECT_MESSAGE', name: 'DM', description: 'dm', memberIds: ids });
      assertError(r, 400, `memberIds=${ids.length}`);
    }
  });

  test('a member id that is not a user is 404', async () => {
    const a = await register(anon);
    const r = await a.api.post('/chat/rooms', {
      type: 'DIRECT_MESSAGE', name: 'DM', description: 'dm', memberIds: ['00000000-0000-4000-8000-000000000000'],
    });
    assertError(r, 404);
  });

  test('bug 7: nobody can add a member to a DM (400); a DM cannot be left or deleted (400)', async () => {
    const [a, b, c] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    const dm = await createRoom(a, [b], 'DIRECT_MESSAGE');
    for (const u of [a, b]) {
      const add = await u.api.post(`/chat/rooms/${dm.chatId}/members`, { userId: c.userId });
      assertError(add, 400, 'add to DM');
    }
    const leave = await a.api.delete(`/chat/rooms/${dm.chatId}/members/${a.userId}`);
    assertError(leave, 400, 'leave DM');
    const kick = await a.api.delete(`/chat/rooms/${dm.chatId}/members/${b.userId}`);
    assert.ok(kick.status === 400 || kick.status === 403, `remove the other member of a DM: ${show(kick)}`);
    const del = await a.api.delete(`/chat/rooms/${dm.chatId}`);
    assertError(del, 400, 'delete DM');
    assert.deepEqual((await members(a, dm.chatId)).map((m) => m.userId).sort(), [a.userId, b.userId].sort(), 'still exactly two');
    const asC = await c.api.get(`/chat/rooms/${dm.chatId}`);
    assert.equal(asC.status, 404, 'c never got in');
  });
});

describe('groups', () => {
  test('create is 201 with members; the creator is the only admin; absent optional fields are null', async () => {
    const [a, b, c] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    const r = await a.api.post('/chat/rooms', { type: 'PRIVATE', name: 'Team', description: 'the team', memberIds: [b.userId, c.userId] });
    assert.equal(r.status, 201, show(r));
    assert.deepEqual(hasKeys(r.json, ROOM_KEYS), [], `room keys: ${r.text}`);
    assert.equal(r.json.name, 'Team');
    assert.equal(r.json.description, 'the team');
    assert.equal(r.json.type, 'PRIVATE');
    assert.equal(r.json.icon, null, 'absent icon is null');
    assert.match(r.json.createdAt, ISO_UTC_RE);
    assert.deepEqual(memberIds(r.json), [a.userId, b.userId, c.userId].sort());
    const ms = await members(a, r.json.chatId);
    assert.deepEqual(adminIds(ms), [a.userId], 'creator is the admin');
    const withIcon = await createRoom(a, [b], 'PUBLIC', { icon: 'http://127.0.0.1/media/icon' });
    assert.equal(withIcon.icon, 'http://127.0.0.1/media/icon');
    assert.equal(withIcon.type, 'PUBLIC');
  });

  test('create validates type and name (400)', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    for (const body of [
      { name: 'x', description: 'd', memberIds: [b.userId] },
      { type: 'GROUP', name: 'x', description: 'd', memberIds: [b.userId] },
      { type: 'PRIVATE', description: 'd', memberIds: [b.userId] },
    ]) {
      const r = await a.api.post('/chat/rooms', body);
      assertError(r, 400, JSON.stringify(body));
    }
  });

  test('GET a room: members see it; a non-member gets the same 404 as a room that does not exist', async () => {
    const [a, b, outsider] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const asB = await b.api.get(`/chat/rooms/${room.chatId}`);
    assert.equal(asB.status, 200, show(asB));
    assert.deepEqual(hasKeys(asB.json, ROOM_KEYS), []);
    assert.equal(asB.json.chatId, room.chatId);
    assert.deepEqual(memberIds(asB.json), [a.userId, b.userId].sort());
    const hidden = await outsider.api.get(`/chat/rooms/${room.chatId}`);
    const missing = await outsider.api.get(`/chat/rooms/999999999`);
    assertError(hidden, 404, 'non-member');
    assertError(missing, 404, 'no such room');
    assert.equal(hidden.json.message, missing.json.message, 'indistinguishable messages');
    for (const p of ['members', 'messages']) {
      const r = await outsider.api.get(`/chat/rooms/${room.chatId}/${p}`);
      assertError(r, 404, `non-member GET ${p}`);
    }
    const noToken = await anon.get(`/chat/rooms/${room.chatId}`);
    assert.equal(noToken.status, 401);
  });

  test('bug 13: PUT returns the updated room; fields not given are kept', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    const room = await createRoom(a, [b], 'PRIVATE');
    const r = await a.api.put(`/chat/rooms/${room.chatId}`, { name: 'Renamed', icon: 'http://127.0.0.1/media/i2' });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(hasKeys(r.json, ROOM_KEYS), [], `a room, not a message: ${r.text}`);
    assert.equal(r.json.chatId, room.chatId);
    assert.equal(r.json.name, 'Renamed');
    assert.equal(r.json.icon, 'http://127.0.0.1/media/i2');
    assert.equal(r.json.description, room.description, 'description kept');
    assert.equal(r.json.type, 'PRIVATE');
    const get = await b.api.get(`/chat/rooms/${room.chatId}`);
    assert.equal(get.json.name, 'Renamed');
  });

  test('PUT by a member who is not admin is 403; by a non-member 404', async () => {
    const [a, b, c] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b]);
    assertError(await b.api.put(`/chat/rooms/${room.chatId}`, { name: 'hijack' }), 403, 'member');
    assertError(await c.api.put(`/chat/rooms/${room.chatId}`, { name: 'hijack' }), 404, 'non-member');
    const get = await a.api.get(`/chat/rooms/${room.chatId}`);
    assert.equal(get.json.name, room.name, 'unchanged');
  });

  test('DELETE is admin only (403 for a member, 404 for a non-member); afterwards the room is gone', async () => {
    const [a, b, c] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b], 'PUBLIC');
    await postMessage(b, room.chatId, 'before delete');
    assertError(await b.api.delete(`/chat/rooms/${room.chatId}`), 403, 'member');
    assertError(await c.api.delete(`/chat/rooms/${room.chatId}`), 404, 'non-member');
    const del = await a.api.delete(`/chat/rooms/${room.chatId}`);
    assert.equal(del.status, 200, show(del));
    for (const u of [a, b]) {
      assertError(await u.api.get(`/chat/rooms/${room.chatId}`), 404, 'after delete');
      assertError(await u.api.get(`/chat/rooms/${room.chatId}/messages`), 404, 'messages after delete');
      const my = await u.api.get('/chat/rooms/my?size=100');
      assert.ok(!my.json.content.some((x: any) => x.chatId === room.chatId), 'gone from my rooms');
    }
  });
});

describe('GET /chat/rooms/my', () => {
  test('newest activity first, with latestMessage and unreadCount', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    const r1 = await createRoom(a, [b], 'PRIVATE');
    const r2 = await createRoom(a, [b], 'PUBLIC');
    const order = async (u: TestUser) => {
      const r = await u.api.get('/chat/rooms/my');
      assert.equal(r.status, 200, show(r));
      return r.json;
    };
    let page = await order(a);
    assert.deepEqual(hasKeys(page, ['content', 'totalElements', 'totalPages', 'size', 'number', 'last']), []);
    assert.deepEqual(page.content.map((x: any) => x.chatId), [r2.chatId, r1.chatId], 'newest created first');
    for (const room of page.content) {
      assert.deepEqual(hasKeys(room, [...ROOM_KEYS, 'latestMessage', 'unreadCount']), [], JSON.stringify(room));
      assert.equal(room.latestMessage, null, 'no message yet: null');
      assert.equal(room.unreadCount, 0);
    }

    const m1 = await postMessage(b, r1.chatId, 'hello in r1');
    page = await order(a);
    assert.deepEqual(page.content.map((x: any) => x.chatId), [r1.chatId, r2.chatId], 'message moves r1 up');
    const ar1 = page.content[0];
    assert.equal(ar1.latestMessage.messageId, m1.messageId);
    assert.equal(ar1.latestMessage.content, 'hello in r1');
    assert.equal(ar1.unreadCount, 1, 'a has one unread from b');
    const bPage = await order(b);
    assert.equal(bPage.content.find((x: any) => x.chatId === r1.chatId).unreadCount, 0, 'own messages are not unread');

    await postMessage(a, r2.chatId, 'hello in r2');
    await postMessage(a, r2.chatId, 'again in r2');
    page = await order(b);
    assert.deepEqual(page.content.map((x: any) => x.chatId), [r2.chatId, r1.chatId]);
    assert.equal(page.content[0].unreadCount, 2);
    assert.equal(page.content[0].latestMessage.content, 'again in r2');

    const small = await a.api.get('/chat/rooms/my?size=1&page=1');
    assert.equal(small.json.content.length, 1);
    assert.equal(small.json.totalElements, 2);
    assert.equal(small.json.totalPages, 2);
    assert.equal(small.json.content[0].chatId, r1.chatId);
    const big = await a.api.get('/chat/rooms/my?size=1000');
    assert.equal(big.json.size, 100, 'size clamped to 100');
  });
});

describe('members', () => {
  test('bug 21: the member list has admin, lastReadMessageId and user with username', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const ms = await members(b, room.chatId);
    assert.equal(ms.length, 2);
    for (const m of ms) {
      assert.deepEqual(hasKeys(m, MEMBER_KEYS), [], JSON.stringify(m));
      assert.equal(m.chatId, room.chatId);
      assert.match(m.userId, UUID_RE);
      assert.equal(typeof m.admin, 'boolean');
      assert.equal(m.lastReadMessageId, null);
      const who = m.userId === a.userId ? a : b;
      assert.equal(m.user.userId, who.userId);
      assert.equal(m.user.username, who.username);
      assert.equal(m.user.fullName, who.fullName);
      assert.ok('avatar' in m.user, 'user.avatar present');
    }
  });

  test('PRIVATE: only an admin adds members (403 for a member, 404 for a non-member)', async () => {
    const [a, b, c, d] = await registerMany(anon, 4) as [TestUser, TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b], 'PRIVATE');
    assertError(await b.api.post(`/chat/rooms/${room.chatId}/members`, { userId: c.userId }), 403, 'member adds');
    assertError(await d.api.post(`/chat/rooms/${room.chatId}/members`, { userId: c.userId }), 404, 'non-member adds');
    const ok = await a.api.post(`/chat/rooms/${room.chatId}/members`, { userId: c.userId });
    assert.equal(ok.status, 201, show(ok));
    const ms = await members(c, room.chatId);
    assert.deepEqual(ms.map((m) => m.userId).sort(), [a.userId, b.userId, c.userId].sort());
    assert.equal(ms.find((m) => m.userId === c.userId).admin, false, 'added as non-admin');
    const dup = await a.api.post(`/chat/rooms/${room.chatId}/members`, { userId: c.userId });
    // Adding someone already in may be idempotent (201/200) or refused (409/400); never a second membership.
    assert.ok([200, 201, 400, 409].includes(dup.status), `already a member: ${show(dup)}`);
    assert.equal((await members(a, room.chatId)).length, 3, 'no duplicate membership');
    const ghost = await a.api.post(`/chat/rooms/${room.chatId}/members`, { userId: '00000000-0000-4000-8000-000000000000' });
    assertError(ghost, 404, 'unknown user');
    const noBody = await a.api.post(`/chat/rooms/${room.chatId}/members`, {});
    assertError(noBody, 400, 'missing userId');
  });

  test('PUBLIC: any member adds members', async () => {
    const [a, b, c] = await registerMany(anon, 3) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b], 'PUBLIC');
    const r = await b.api.post(`/chat/rooms/${room.chatId}/members`, { userId: c.userId });
    assert.equal(r.status, 201, show(r));
    const get = await c.api.get(`/chat/rooms/${room.chatId}`);
    assert.equal(get.status, 200, 'the added user now sees the room');
  });

  test('bug 14: remove: an admin removes (200), a member cannot remove others (403), anyone can leave (200)', async () => {
    const [a, b, c, d] = await registerMany(anon, 4) as [TestUser, TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b, c, d], 'PRIVATE');
    assertError(await b.api.delete(`/chat/rooms/${room.chatId}/members/${c.userId}`), 403, 'member removes other');
    const kick = await a.api.delete(`/chat/rooms/${room.chatId}/members/${c.userId}`);
    assert.equal(kick.status, 200, show(kick));
    assertError(await c.api.get(`/chat/rooms/${room.chatId}`), 404, 'removed user');
    assertError(await c.api.get(`/chat/rooms/${room.chatId}/messages`), 404, 'removed user reads');
    const leave = await d.api.delete(`/chat/rooms/${room.chatId}/members/${d.userId}`);
    assert.equal(leave.status, 200, show(leave));
    assert.deepEqual((await members(a, room.chatId)).map((m) => m.userId).sort(), [a.userId, b.userId].sort());
    const notMember = await a.api.delete(`/chat/rooms/${room.chatId}/members/${c.userId}`);
    assertError(notMember, 404, 'removing a non-member');
  });

  test('bug 14: admin endpoint: an admin promotes a member, who can then act as admin; a non-admin gets 403', async () => {
    const [a, b, c, d] = await registerMany(anon, 4) as [TestUser, TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b, c], 'PRIVATE');
    assertError(await b.api.put(`/chat/rooms/${room.chatId}/members/${c.userId}/admin`, { admin: true }), 403, 'non-admin promotes');
    const promote = await a.api.put(`/chat/rooms/${room.chatId}/members/${b.userId}/admin`, { admin: true });
    assert.equal(promote.status, 200, show(promote));
    assert.deepEqual(adminIds(await members(a, room.chatId)), [a.userId, b.userId].sort());
    const add = await b.api.post(`/chat/rooms/${room.chatId}/members`, { userId: d.userId });
    assert.equal(add.status, 201, `new admin can add: ${show(add)}`);
    const demote = await b.api.put(`/chat/rooms/${room.chatId}/members/${a.userId}/admin`, { admin: false });
    assert.equal(demote.status, 200, show(demote));
    assert.deepEqual(adminIds(await members(a, room.chatId)), [b.userId]);
    assertError(await a.api.put(`/chat/rooms/${room.chatId}`, { name: 'x' }), 403, 'demoted admin');
    const ghost = await b.api.put(`/chat/rooms/${room.chatId}/members/00000000-0000-4000-8000-000000000000/admin`, { admin: true });
    assertError(ghost, 404, 'promote a non-member');
    const bad = await b.api.put(`/chat/rooms/${room.chatId}/members/${c.userId}/admin`, { admin: 'yes' });
    assertError(bad, 400, 'admin must be a boolean');
  });

  test('bug 14: the last admin cannot leave, be removed or be demoted while others remain (409)', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    const room = await createRoom(a, [b], 'PRIVATE');
    const leave = await a.api.delete(`/chat/rooms/${room.chatId}/members/${a.userId}`);
    assertError(leave, 409, 'last admin leaves');
    assert.match(leave.json.message, /admin/i, 'message says to promote someone first');
    const demote = await a.api.put(`/chat/rooms/${room.chatId}/members/${a.userId}/admin`, { admin: false });
    assertError(demote, 409, 'last admin demoted');
    assert.deepEqual(adminIds(await members(a, room.chatId)), [a.userId], 'still admin');
    // After promoting b, a may leave.
    assert.equal((await a.api.put(`/chat/rooms/${room.chatId}/members/${b.userId}/admin`, { admin: true })).status, 200);
    const leave2 = await a.api.delete(`/chat/rooms/${room.chatId}/members/${a.userId}`);
    assert.equal(leave2.status, 200, show(leave2));
    const ms = await members(b, room.chatId);
    assert.deepEqual(ms.map((m) => m.userId), [b.userId]);
    assert.deepEqual(adminIds(ms), [b.userId]);
  });

  test('the only member of a group may leave it', async () => {
    const [a, b] = await registerMany(anon, 2) as [TestUser, TestUser];
    const room = await createRoom(a, [b], 'PUBLIC');
    assert.equal((await b.api.delete(`/chat/rooms/${room.chatId}/members/${b.userId}`)).status, 200);
    const r = await a.api.delete(`/chat/rooms/${room.chatId}/members/${a.userId}`);
    assert.equal(r.status, 200, show(r));
    assertError(await a.api.get(`/chat/rooms/${room.chatId}`), 404, 'left');
  });
});
