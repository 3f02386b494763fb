// Messages over STOMP and REST: the send pipeline, idempotency, history and cursors, typing,
// delivery/read status, read markers, and the original's spoofing bugs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createRoom, postMessage, register, registerMany, show, startServer, stopServer,
  type Api, type ParleyServer, type RoomType, type TestUser,
} from './harness.ts';
import { connectStomp, type StompSession, type Subscription } from './stomp.ts';
import { hasKeys, ISO_UTC_RE, pollUntil, rand, ULID_RE } from './util.ts';

let srv: ParleyServer;
let anon: Api;

before(async () => {
  srv = await startServer();
  anon = srv.api();
});
after(() => stopServer(srv));

const MESSAGE_KEYS = ['messageId', 'chatRoomId', 'userId', 'content', 'timestamp', 'status', 'type', 'edited', 'seq', 'clientMessageId'];
const SEND = '/app/chat.sendMessage';

interface Pair {
  a: TestUser;
  b: TestUser;
  room: any;
  sa: StompSession;
  sb: StompSession;
  ta: Subscription<any>;
  tb: Subscription<any>;
}

/** Two users in a fresh room, both connected and subscribed to the room topic. */
async function pair(type: RoomType = 'PRIVATE'): Promise<Pair> {
  const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
  const room = await createRoom(a, [b], type);
  const [sa, sb] = await Promise.all([connectStomp(srv, a.accessToken), connectStomp(srv, b.accessToken)]);
  const [ta, tb] = await Promise.all([sa.subscribe(`/topic/rooms/${room.chatId}`), sb.subscribe(`/topic/rooms/${room.chatId}`)]);
  return { a, b, room, sa, sb, ta, tb };
}

async function closeAll(...s: StompSession[]): Promise<void> {
  await Promise.all(s.map((x) => x.close()));
}

async function history(u: TestUser, chatId: number, qs = ''): Promise<any> {
  const r = await u.api.get(`/chat/rooms/${chatId}/messages${qs}`);
  assert.equal(r.status, 200, show(r));
  return r.json;
}

async function getMessage(u: TestUser, id: string): Promise<any> {
  const r = await u.api.get(`/chat/messages/${id}`);
  assert.equal(r.status, 200, show(r));
  return r.json;
}

async function unread(u: TestUser, chatId: number): Promise<number> {
  const r = await u.api.get('/chat/rooms/my?size=100');
  assert.equal(r.status, 200, show(r));
  const room = r.json.content.find((x: any) => x.chatId === chatId);
  assert.ok(room, `room ${chatId} in my rooms`);
  return room.unreadCount;
}

describe('sending', () => {
  test('STOMP send: RECEIPT carries message-id; both members get the message with server-assigned fields', async () => {
    const { a, room, sa, sb, ta, tb } = await pair();
    const before = Date.now();
    const id = await sa.sendMessage(room.chatId, 'hello world', { clientMessageId: 'c-1' });
    assert.match(id, ULID_RE, 'message-id header is a ULID');
    const [ma, mb] = await Promise.all([ta.waitFor((m) => m.messageId === id), tb.waitFor((m) => m.messageId === id)]);
    assert.deepEqual(ma, mb, 'both members get the same message');
    assert.deepEqual(hasKeys(mb, MESSAGE_KEYS), [], JSON.stringify(mb));
    assert.equal(mb.chatRoomId, room.chatId);
    assert.equal(mb.userId, a.userId);
    assert.equal(mb.content, 'hello world');
    assert.equal(mb.status, 'SENT');
    assert.equal(mb.type, 'TEXT');
    assert.equal(mb.edited, false);
    assert.equal(mb.seq, 1);
    assert.equal(mb.clientMessageId, 'c-1');
    assert.match(mb.timestamp, ISO_UTC_RE);
    const ts = Date.parse(mb.timestamp);
    assert.ok(ts >= before - 2000 && ts <= Date.now() + 2000, `timestamp is now: ${mb.timestamp}`);

    const id2 = await sb.sendMessage(room.chatId, 'second');
    const id3 = await sa.sendMessage(room.chatId, 'third');
    const m2 = await ta.waitFor((m) => m.messageId === id2);
    const m3 = await ta.waitFor((m) => m.messageId === id3);
    assert.equal(m2.seq, 2);
    assert.equal(m3.seq, 3);
    assert.ok(id < id2 && id2 < id3, 'ids increase with seq');
    assert.equal(m2.clientMessageId, null, 'absent clientMessageId is null');
    await closeAll(sa, sb);
  });

  test('bug 2: the sender, status, timestamp and seq come from the server, not the body', async () => {
    const { b, room, sa, tb } = await pair();
    const id = await sa.sendMessage(room.chatId, 'spoof attempt', {
      userId: b.userId, status: 'READ', timestamp: '2001-01-01T00:00:00.000Z', seq: 999, edited: true,
    });
    const m = await tb.waitFor((x) => x.messageId === id);
    assert.notEqual(m.userId, b.userId, 'sender not taken from the body');
    assert.equal(m.status, 'SENT');
    assert.notEqual(m.timestamp, '2001-01-01T00:00:00.000Z');
    assert.equal(m.seq, 1);
    assert.equal(m.edited, false);
    const stored = await getMessage(b, id);
    assert.notEqual(stored.userId, b.userId);
    await closeAll(sa);
  });

  test('a resend with the same clientMessageId creates no duplicate and is acknowledged with the original id', async () => {
    const { a, b, room, sa, sb, tb } = await pair();
    const cmid = `cm-${rand(12)}`;
    const id1 = await sa.sendMessage(room.chatId, 'once', { clientMessageId: cmid });
    const id2 = await sa.sendMessage(room.chatId, 'once', { clientMessageId: cmid });
    assert.equal(id2, id1, 'same id in the second RECEIPT');
    // The same clientMessageId from another sender is another message.
    const other = await sb.sendMessage(room.chatId, 'once', { clientMessageId: cmid });
    assert.notEqual(other, id1, 'clientMessageId is per sender');
    // A marker after both: once it arrives, any duplicate fan-out would have arrived before it.
    const marker = await sa.sendMessage(room.chatId, 'marker');
    await tb.waitFor((m) => m.messageId === marker);
    assert.equal(tb.filter((m) => m.messageId === id1 && m.status === 'SENT').length, 1, 'fanned out once');
    const h = await history(a, room.chatId, '?size=100');
    assert.equal(h.content.filter((m: any) => m.clientMessageId === cmid && m.userId === a.userId).length, 1, 'stored once');
    assert.equal(h.totalElements, 3);
    assert.deepEqual(h.content.map((m: any) => m.seq).sort(), [1, 2, 3], 'no seq was consumed by the duplicate');
    // A REST resend with the same clientMessageId is deduplicated too.
    const rest = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'once', clientMessageId: cmid });
    assert.ok(rest.status === 200 || rest.status === 201, show(rest));
    assert.equal(rest.json.messageId, id1, 'REST resend answers the original message');
    const tooLong = await sa.send(SEND, { chatRoomId: room.chatId, content: 'x', clientMessageId: 'k'.repeat(65) });
    assert.equal(tooLong.ok, false, 'clientMessageId over 64 chars is refused');
    if (!tooLong.ok) assert.equal(tooLong.error.code, 'INVALID_BODY');
    void b;
    await closeAll(sa, sb);
  });

  test('bug 12: REST POST answers 201 with a ULID id, and is fanned out like a STOMP send', async () => {
    const { a, b, room, sa, sb, tb } = await pair();
    const r = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'via rest' });
    assert.equal(r.status, 201, show(r));
    assert.deepEqual(hasKeys(r.json, MESSAGE_KEYS), [], r.text);
    assert.match(r.json.messageId, ULID_RE);
    assert.equal(r.json.userId, a.userId);
    assert.equal(r.json.chatRoomId, room.chatId);
    assert.equal(r.json.status, 'SENT');
    assert.equal(r.json.type, 'TEXT');
    assert.equal(r.json.seq, 1);
    const live = await tb.waitFor((m) => m.messageId === r.json.messageId);
    assert.equal(live.content, 'via rest');
    const spoof = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'spoof', userId: b.userId, chatRoomId: 999999 });
    assert.equal(spoof.status, 201, show(spoof));
    assert.equal(spoof.json.userId, a.userId, 'sender from the token');
    assert.equal(spoof.json.chatRoomId, room.chatId, 'room from the path');
    await closeAll(sa, sb);
  });

  test('REST POST validates content and membership', async () => {
    const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b]);
    for (const body of [{ content: '' }, { content: 'x'.repeat(4001) }, {}, { content: 'x', type: 'VIDEO' }]) {
      const r = await a.api.post(`/chat/rooms/${room.chatId}/messages`, body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 40)}: ${show(r)}`);
    }
    const empty = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: '' });
    assert.ok(empty.json?.errors?.content, `errors.content: ${empty.text}`);
    const ok = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'y'.repeat(4000) });
    assert.equal(ok.status, 201, '4000 chars is fine');
    const outsider = await c.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'let me in' });
    assert.equal(outsider.status, 404, `non-member: ${show(outsider)}`);
  });

  test('bug 9: messages in a DM are persisted and readable by both', async () => {
    const { a, b, room, sa, sb, tb } = await pair('DIRECT_MESSAGE');
    const id = await sa.sendMessage(room.chatId, 'dm text');
    await tb.waitFor((m) => m.messageId === id);
    for (const u of [a, b]) {
      const h = await history(u, room.chatId);
      assert.deepEqual(h.content.map((m: any) => m.messageId), [id]);
    }
    await closeAll(sa, sb);
  });

  test('unicode content round-trips unchanged', async () => {
    const { b, room, sa, tb } = await pair();
    const content = 'héllo 🌍 — 你好 "quotes" \\ back\nline\ttab';
    const id = await sa.sendMessage(room.chatId, content);
    const m = await tb.waitFor((x) => x.messageId === id);
    assert.equal(m.content, content);
    assert.equal((await getMessage(b, id)).content, content);
    await closeAll(sa);
  });

  test('concurrent senders: every member sees one order; ids strictly increase; seq is contiguous', async () => {
    const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b, c], 'PUBLIC');
    const [sa, sb, sc] = await Promise.all([a, b, c].map((u) => connectStomp(srv, u.accessToken)));
    const topic = `/topic/rooms/${room.chatId}`;
    const [ta, tb, tc] = await Promise.all([sa!, sb!, sc!].map((s) => s.subscribe(topic)));
    const N = 30;
    await Promise.all([
      Promise.all(Array.from({ length: N }, (_, i) => sa!.sendMessage(room.chatId, `a${i}`))),
      Promise.all(Array.from({ length: N }, (_, i) => sb!.sendMessage(room.chatId, `b${i}`))),
    ]);
    const seen = await Promise.all([ta!, tb!, tc!].map((t) => t.waitForCount(2 * N)));
    const orders = seen.map((list) => list.map((m) => m.messageId));
    assert.deepEqual(orders[1], orders[0], 'b sees the order a sees');
    assert.deepEqual(orders[2], orders[0], 'c sees the order a sees');
    const list = seen[2]!;
    assert.deepEqual(list.map((m) => m.seq), Array.from({ length: 2 * N }, (_, i) => i + 1), 'seq 1..2N in delivery order');
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].messageId < list[i].messageId, `id order at ${i}`);
    // Per-sender order is kept.
    for (const p of ['a', 'b']) {
      const mine = list.filter((m) => m.content.startsWith(p)).map((m) => m.content);
      assert.deepEqual(mine, Array.from({ length: N }, (_, i) => `${p}${i}`), `${p}'s messages in send order`);
    }
    const h = await history(c, room.chatId, `?after=${list[0].messageId}&limit=200`);
    assert.deepEqual([list[0].messageId, ...h.content.map((m: any) => m.messageId)], orders[0], 'history agrees');
    await closeAll(sa!, sb!, sc!);
  });
});

describe('history', () => {
  test('pages are newest first with the page shape; size defaults to 20 and is clamped to 100', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await postMessage(i % 2 ? a : b, room.chatId, `m${i}`)).messageId);
    const p0 = await history(b, room.chatId, '?page=0&size=2');
    assert.deepEqual(hasKeys(p0, ['content', 'totalElements', 'totalPages', 'size', 'number', 'last']), []);
    assert.deepEqual(p0.content.map((m: any) => m.content), ['m5', 'm4']);
    assert.equal(p0.totalElements, 5);
    assert.equal(p0.totalPages, 3);
    assert.equal(p0.number, 0);
    assert.equal(p0.last, false);
    const p2 = await history(b, room.chatId, '?page=2&size=2');
    assert.deepEqual(p2.content.map((m: any) => m.content), ['m1']);
    assert.equal(p2.last, true);
    const def = await history(b, room.chatId);
    assert.equal(def.size, 20);
    assert.deepEqual(def.content.map((m: any) => m.messageId), [...ids].reverse());
    const big = await history(b, room.chatId, '?size=1000');
    assert.equal(big.size, 100);
  });

  test('after/before cursors answer oldest first with hasMore', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const m: string[] = [];
    for (let i = 1; i <= 7; i++) m.push((await postMessage(a, room.chatId, `m${i}`)).messageId);
    const q = async (qs: string) => {
      const h = await history(b, room.chatId, qs);
      assert.deepEqual(hasKeys(h, ['content', 'hasMore']), [], JSON.stringify(h));
      return { ids: h.content.map((x: any) => x.messageId), hasMore: h.hasMore };
    };
    assert.deepEqual(await q(`?after=${m[1]}&limit=3`), { ids: [m[2], m[3], m[4]], hasMore: true });
    assert.deepEqual(await q(`?after=${m[4]}&limit=3`), { ids: [m[5], m[6]], hasMore: false });
    assert.deepEqual(await q(`?after=${m[6]}`), { ids: [], hasMore: false });
    assert.deepEqual(await q(`?before=${m[5]}&limit=2`), { ids: [m[3], m[4]], hasMore: true });
    assert.deepEqual(await q(`?before=${m[1]}&limit=2`), { ids: [m[0]], hasMore: false });
    assert.deepEqual(await q(`?before=${m[0]}`), { ids: [], hasMore: false });
    const bad = await b.api.get(`/chat/rooms/${room.chatId}/messages?after=not-a-ulid`);
    assert.equal(bad.status, 400, show(bad));
  });

  test('catch-up over 210 messages: default limit 50, maximum 200, contiguous seq, nothing missed', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b], 'PUBLIC');
    const sent: any[] = [];
    for (let i = 0; i < 210; i++) sent.push(await postMessage(i % 3 === 0 ? b : a, room.chatId, `n${i}`));
    const first = sent[0].messageId;
    const def = await history(b, room.chatId, `?after=${first}`);
    assert.equal(def.content.length, 50, 'default limit 50');
    assert.equal(def.hasMore, true);
    const max = await history(b, room.chatId, `?after=${first}&limit=1000`);
    assert.equal(max.content.length, 200, 'limit capped at 200');
    assert.equal(max.hasMore, true);
    // Catch up in pages like a client would.
    const got: any[] = [sent[0]];
    let cursor = first;
    for (let guard = 0; guard < 20; guard++) {
      const page = await history(b, room.chatId, `?after=${cursor}&limit=37`);
      got.push(...page.content);
      if (!page.hasMore) break;
      cursor = page.content[page.content.length - 1].messageId;
    }
    assert.deepEqual(got.map((x) => x.messageId), sent.map((x) => x.messageId), 'every message, in order, once');
    assert.deepEqual(got.map((x) => x.seq), Array.from({ length: 210 }, (_, i) => i + 1), 'seq 1..210');
    assert.deepEqual(got.map((x) => x.content), sent.map((x) => x.content));
  });

  test('GET /chat/messages/{id}: a member gets it; a non-member and an unknown id get 404', async () => {
    const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const msg = await postMessage(a, room.chatId, 'findable');
    const got = await getMessage(b, msg.messageId);
    assert.deepEqual(got, msg, 'same JSON as the POST answer');
    const outsider = await c.api.get(`/chat/messages/${msg.messageId}`);
    assert.equal(outsider.status, 404, show(outsider));
    const unknown = await c.api.get(`/chat/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    assert.equal(unknown.status, 404);
    assert.equal(outsider.json?.message, unknown.json?.message, 'indistinguishable');
  });
});

describe('refusals keep the session open', () => {
  test('non-member SEND: no RECEIPT, NOT_MEMBER on /user/queue/errors, session stays open (bug 19: clean message)', async () => {
    const { b, room, sa, sb, tb } = await pair();
    const c = await register(anon);
    const sc = await connectStomp(srv, c.accessToken);
    const r = await sc.send(SEND, { chatRoomId: room.chatId, content: 'intruder' });
    assert.equal(r.ok, false, 'refused');
    if (r.ok) return;
    assert.equal(r.error.code, 'NOT_MEMBER');
    assert.equal(r.error.destination, SEND);
    assert.equal(typeof r.error.message, 'string');
    assert.ok(!/if \(|\bnull\b|Exception/.test(r.error.message), `clean message: ${r.error.message}`);
    assert.deepEqual(hasKeys(r.error, ['code', 'message', 'destination', 'receiptId']), []);
    // A room that does not exist is refused the same way.
    const ghost = await sc.send(SEND, { chatRoomId: 999999999, content: 'anyone?' });
    assert.equal(ghost.ok, false);
    if (!ghost.ok) assert.equal(ghost.error.code, 'NOT_MEMBER', 'a missing room looks like a room one is not in');
    // The session is still usable.
    assert.equal(sc.connected, true);
    const own = await createRoom(c, [b]);
    const okId = await sc.sendMessage(own.chatId, 'in my own room');
    assert.match(okId, ULID_RE);
    // Nothing from c reached the room.
    const marker = await sa.sendMessage(room.chatId, 'marker');
    await tb.waitFor((m) => m.messageId === marker);
    assert.equal(tb.filter((m) => m.content === 'intruder').length, 0);
    assert.equal((await history(b, room.chatId)).totalElements, 1);
    await closeAll(sa, sb, sc);
  });

  test('content of 0 or 4001 chars, bad JSON, or missing fields are INVALID_BODY; 4000 chars is fine', async () => {
    const { room, sa, sb } = await pair();
    const bodies: unknown[] = [
      { chatRoomId: room.chatId, content: '' },
      { chatRoomId: room.chatId, content: 'x'.repeat(4001) },
      { chatRoomId: room.chatId },
      { content: 'no room' },
      { chatRoomId: 'abc', content: 'x' },
      { chatRoomId: room.chatId, content: 'x', type: 'VIDEO' },
      '{"chatRoomId": 1, "content": ',
      'not json at all',
      '[]',
    ];
    for (const body of bodies) {
      const r = await sa.send(SEND, body);
      assert.equal(r.ok, false, `refused: ${JSON.stringify(body).slice(0, 60)}`);
      if (!r.ok) assert.equal(r.error.code, 'INVALID_BODY', `${JSON.stringify(body).slice(0, 60)} → ${JSON.stringify(r.error)}`);
    }
    assert.equal(sa.connected, true, 'session stays open');
    const id = await sa.sendMessage(room.chatId, 'z'.repeat(4000));
    assert.match(id, ULID_RE);
    await closeAll(sa, sb);
  });

  test('a burst beyond 50 SENDs in one session gets RATE_LIMITED; the session stays open', async () => {
    const { room, sa, sb } = await pair('PUBLIC');
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => sa.send(SEND, { chatRoomId: room.chatId, content: `burst ${i}` }, 10_000)),
    );
    const ok = results.filter((r) => r.ok).length;
    const refused = results.filter((r) => !r.ok);
    assert.ok(refused.length >= 1, `some refused (ok=${ok})`);
    assert.ok(ok >= 50, `the burst of 50 passes (ok=${ok})`);
    for (const r of refused) if (!r.ok) assert.equal(r.error.code, 'RATE_LIMITED');
    assert.equal(sa.connected, true);
    // Tokens refill with time; the session keeps working.
    await pollUntil('a SEND to pass again', async () => (await sa.send(SEND, { chatRoomId: room.chatId, content: 'after' })).ok, 5000);
    await closeAll(sa, sb);
  });

  test('/app/heartbeat with {} is acknowledged', async () => {
    const a = await register(anon);
    const sa = await connectStomp(srv, a.accessToken);
    const r = await sa.send('/app/heartbeat', {});
    assert.equal(r.ok, true, JSON.stringify(r));
    await sa.close();
  });
});

describe('typing', () => {
  test('bug 3: {chatId, typing} is fanned out with the userId of the session', async () => {
    const { a, b, room, sa, sb } = await pair();
    const typing = await sb.subscribe(`/topic/rooms/${room.chatId}/typing`);
    const r = await sa.send('/app/chat.typing', { chatId: room.chatId, typing: true, userId: b.userId });
    assert.equal(r.ok, true, JSON.stringify(r));
    const ev = await typing.waitFor();
    assert.equal(ev.chatId, room.chatId);
    assert.equal(ev.userId, a.userId, 'userId from the session, not the body');
    assert.equal(ev.typing, true);
    await sa.sendOk('/app/chat.typing', { chatId: room.chatId, typing: false });
    const ev2 = await typing.waitFor((e) => e.typing === false);
    assert.equal(ev2.userId, a.userId);
    await closeAll(sa, sb);
  });

  test('bug 3: typing in a room one is not in is refused and not fanned out', async () => {
    const { a, room, sa, sb } = await pair();
    const typing = await sb.subscribe(`/topic/rooms/${room.chatId}/typing`);
    const c = await register(anon);
    const sc = await connectStomp(srv, c.accessToken);
    const r = await sc.send('/app/chat.typing', { chatId: room.chatId, typing: true });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'NOT_MEMBER');
    // Typing is delivered in order per room: once a's arrives, c's would have arrived before it.
    await sa.sendOk('/app/chat.typing', { chatId: room.chatId, typing: true });
    const first = await typing.waitFor();
    assert.equal(first.userId, a.userId, 'the first typing event is a legitimate one');
    assert.equal(typing.filter((e) => e.userId === c.userId).length, 0);
    await closeAll(sa, sb, sc);
  });

  test('SUBSCRIBE to the typing topic of a room one is not in is refused', async () => {
    const { room, sa, sb } = await pair();
    const c = await register(anon);
    const sc = await connectStomp(srv, c.accessToken);
    await assert.rejects(sc.subscribe(`/topic/rooms/${room.chatId}/typing`), /ERROR|closed|timed out/);
    await closeAll(sa, sb, sc);
  });
});

describe('delivery and read status', () => {
  test('a recipient moves SENT → DELIVERED → READ; each change reaches both members', async () => {
    const { b, room, sa, sb, ta, tb } = await pair();
    const id = await sa.sendMessage(room.chatId, 'track me');
    await tb.waitFor((m) => m.messageId === id);
    for (const status of ['DELIVERED', 'READ']) {
      const r = await sb.send(SEND, { messageId: id, chatRoomId: room.chatId, status });
      assert.equal(r.ok, true, `${status}: ${JSON.stringify(r)}`);
      const [ua, ub] = await Promise.all([
        ta.waitFor((m) => m.messageId === id && m.status === status, 5000, `${status} on a's topic`),
        tb.waitFor((m) => m.messageId === id && m.status === status, 5000, `${status} on b's topic`),
      ]);
      assert.equal(ua.content, 'track me');
      assert.equal(ub.seq, 1, 'same message, same seq');
      assert.equal((await getMessage(b, id)).status, status);
    }
    await closeAll(sa, sb);
  });

  test('the sender cannot set the status of its own message (FORBIDDEN_STATUS)', async () => {
    const { a, room, sa, sb, tb } = await pair();
    const id = await sa.sendMessage(room.chatId, 'mine');
    await tb.waitFor((m) => m.messageId === id);
    const r = await sa.send(SEND, { messageId: id, chatRoomId: room.chatId, status: 'READ' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'FORBIDDEN_STATUS');
    assert.equal((await getMessage(a, id)).status, 'SENT');
    assert.equal(sa.connected, true);
    await closeAll(sa, sb);
  });

  test('a backwards move is a no-op that still gets its RECEIPT', async () => {
    const { a, room, sa, sb, tb } = await pair();
    const id = await sa.sendMessage(room.chatId, 'read me');
    await tb.waitFor((m) => m.messageId === id);
    await sb.sendOk(SEND, { messageId: id, chatRoomId: room.chatId, status: 'READ' });
    for (const status of ['DELIVERED', 'SENT', 'READ']) {
      const r = await sb.send(SEND, { messageId: id, chatRoomId: room.chatId, status });
      assert.equal(r.ok, true, `${status} after READ is acknowledged: ${JSON.stringify(r)}`);
    }
    assert.equal((await getMessage(a, id)).status, 'READ');
    await closeAll(sa, sb);
  });

  test('bug 2: a status update never changes content, sender, type or timestamp', async () => {
    const { a, b, room, sa, sb, ta, tb } = await pair();
    const id = await sa.sendMessage(room.chatId, 'original');
    const orig = await tb.waitFor((m) => m.messageId === id);
    const r = await sb.send(SEND, {
      messageId: id, chatRoomId: room.chatId, status: 'DELIVERED',
      content: 'HACKED', userId: b.userId, type: 'IMAGE', timestamp: '2001-01-01T00:00:00.000Z', edited: true,
    });
    if (r.ok) {
      const upd = await ta.waitFor((m) => m.messageId === id && m.status === 'DELIVERED');
      assert.equal(upd.content, 'original');
      assert.equal(upd.userId, a.userId);
    } else {
      assert.equal(r.error.code, 'INVALID_BODY', 'either ignored or refused as a whole');
    }
    const stored = await getMessage(b, id);
    assert.equal(stored.content, 'original');
    assert.equal(stored.userId, a.userId);
    assert.equal(stored.type, 'TEXT');
    assert.equal(stored.timestamp, orig.timestamp);
    assert.equal(stored.edited, false);
    // A status update cannot be aimed at a room the message is not in.
    const other = await createRoom(b, [a]);
    const cross = await sb.send(SEND, { messageId: id, chatRoomId: other.chatId, status: 'READ' });
    assert.equal(cross.ok, false, 'message/room mismatch is refused');
    if (!cross.ok) assert.equal(cross.error.code, 'NOT_FOUND');
    await closeAll(sa, sb);
  });

  test('bug 8: statuses are SENT, DELIVERED, READ only; unknown ids and outsiders are refused', async () => {
    const { room, sa, sb, tb } = await pair();
    const id = await sa.sendMessage(room.chatId, 'x');
    await tb.waitFor((m) => m.messageId === id);
    const unread = await sb.send(SEND, { messageId: id, chatRoomId: room.chatId, status: 'UNREAD' });
    assert.equal(unread.ok, false);
    if (!unread.ok) assert.equal(unread.error.code, 'INVALID_BODY');
    const missing = await sb.send(SEND, { messageId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', chatRoomId: room.chatId, status: 'READ' });
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.equal(missing.error.code, 'NOT_FOUND');
    const c = await register(anon);
    const sc = await connectStomp(srv, c.accessToken);
    const outsider = await sc.send(SEND, { messageId: id, chatRoomId: room.chatId, status: 'READ' });
    assert.equal(outsider.ok, false);
    if (!outsider.ok) assert.equal(outsider.error.code, 'NOT_MEMBER');
    await closeAll(sa, sb, sc);
  });
});

describe('read markers and unread counts', () => {
  test('/app/chat.read moves the marker: event on /topic/rooms/{id}/receipts, unreadCount drops, never backwards', async () => {
    const { a, b, room, sa, sb, tb } = await pair();
    const receipts = await sa.subscribe(`/topic/rooms/${room.chatId}/receipts`);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await sa.sendMessage(room.chatId, `u${i}`));
    await tb.waitForCount(3);
    assert.equal(await unread(b, room.chatId), 3);
    assert.equal(await unread(a, room.chatId), 0, 'own messages never count');

    await sb.sendOk('/app/chat.read', { chatRoomId: room.chatId, messageId: ids[1] });
    const ev = await receipts.waitFor((e) => e.lastReadMessageId === ids[1]);
    assert.equal(ev.chatId, room.chatId);
    assert.equal(ev.userId, b.userId);
    assert.equal(await unread(b, room.chatId), 1);
    const m = (await b.api.get(`/chat/rooms/${room.chatId}/members`)).json.find((x: any) => x.userId === b.userId);
    assert.equal(m.lastReadMessageId, ids[1]);

    // Backwards: acknowledged, no change.
    const back = await sb.send('/app/chat.read', { chatRoomId: room.chatId, messageId: ids[0] });
    assert.equal(back.ok, true, JSON.stringify(back));
    assert.equal(await unread(b, room.chatId), 1);
    const m2 = (await b.api.get(`/chat/rooms/${room.chatId}/members`)).json.find((x: any) => x.userId === b.userId);
    assert.equal(m2.lastReadMessageId, ids[1], 'marker never moves backwards');

    // b's own message after the marker does not count; a's does.
    await sb.sendMessage(room.chatId, 'from b');
    const last = await sa.sendMessage(room.chatId, 'from a');
    assert.equal(await unread(b, room.chatId), 2);
    await sb.sendOk('/app/chat.read', { chatRoomId: room.chatId, messageId: last });
    await receipts.waitFor((e) => e.lastReadMessageId === last);
    assert.equal(await unread(b, room.chatId), 0);
    await closeAll(sa, sb);
  });

  test('POST /chat/rooms/{id}/read moves the marker and emits the receipts event', async () => {
    const { a, b, room, sa, sb, tb } = await pair();
    const receipts = await sa.subscribe(`/topic/rooms/${room.chatId}/receipts`);
    const id1 = await sa.sendMessage(room.chatId, 'one');
    const id2 = await sa.sendMessage(room.chatId, 'two');
    await tb.waitForCount(2);
    const r = await b.api.post(`/chat/rooms/${room.chatId}/read`, { messageId: id1 });
    assert.ok(r.status === 200 || r.status === 204, show(r));
    const ev = await receipts.waitFor((e) => e.userId === b.userId);
    assert.equal(ev.chatId, room.chatId);
    assert.equal(ev.lastReadMessageId, id1);
    assert.equal(await unread(b, room.chatId), 1);
    await b.api.post(`/chat/rooms/${room.chatId}/read`, { messageId: id2 });
    assert.equal(await unread(b, room.chatId), 0);
    const c = await register(anon);
    const outsider = await c.api.post(`/chat/rooms/${room.chatId}/read`, { messageId: id2 });
    assert.equal(outsider.status, 404, show(outsider));
    const bad = await b.api.post(`/chat/rooms/${room.chatId}/read`, {});
    assert.equal(bad.status, 400, show(bad));
    void a;
    await closeAll(sa, sb);
  });

  test('SUBSCRIBE to the receipts topic of a room one is not in is refused', async () => {
    const { room, sa, sb } = await pair();
    const c = await register(anon);
    const sc = await connectStomp(srv, c.accessToken);
    await assert.rejects(sc.subscribe(`/topic/rooms/${room.chatId}/receipts`), /ERROR|closed|timed out/);
    await closeAll(sa, sb, sc);
  });
});
