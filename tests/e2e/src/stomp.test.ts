// STOMP over WebSocket and SockJS: CONNECT authentication, heart-beat negotiation, protocol
// violations (ERROR + close, and the server keeps serving everyone else), SockJS transports,
// presence, and the per-user event queue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { forgeFrom } from './forge.ts';
import {
  createRoom, register, registerMany, show, startServer, stopServer,
  type Api, type ParleyServer, type TestUser,
} from './harness.ts';
import { connectStomp, encodeFrame, RawStomp, StompRefused, type SockJsTransport, type StompSession } from './stomp.ts';
import { hasKeys, ISO_UTC_RE, pollUntil, ULID_RE } from './util.ts';

let srv: ParleyServer;
let anon: Api;
// A pair of clients in a room that must keep working whatever other clients do wrong.
let witness: { a: TestUser; b: TestUser; room: any; sa: StompSession; sb: StompSession; tb: any };
// A second server whose access tokens live 2 s ([auth] access_ttl_seconds), and a user registered on it.
let expiring: Promise<{ short: ParleyServer; u: TestUser }>;

before(async () => {
  srv = await startServer();
  anon = srv.api();
  const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
  const room = await createRoom(a, [b]);
  const sa = await connectStomp(srv, a.accessToken);
  const sb = await connectStomp(srv, b.accessToken);
  const tb = await sb.subscribe(`/topic/rooms/${room.chatId}`);
  witness = { a, b, room, sa, sb, tb };
  // The expiry test runs last; its clock starts now so that it waits as little as possible.
  expiring = startServer({ env: { PARLEY_AUTH_ACCESS_TTL_SECONDS: '2' } }).then(async (short) => ({ short, u: await register(short.api()) }));
  expiring.catch(() => undefined);
});
after(async () => {
  await stopServer(srv);
  await stopServer(await expiring.then((e) => e.short).catch(() => undefined));
});

let witnessCount = 0;
/** The server still answers /healthz and still delivers messages between other clients. */
async function assertStillServing(): Promise<void> {
  const h = await anon.get('/healthz');
  assert.equal(h.status, 200, `healthz: ${show(h)}`);
  const id = await witness.sa.sendMessage(witness.room.chatId, `witness ${++witnessCount}`);
  await witness.tb.waitFor((m: any) => m.messageId === id, 5000, 'the witness message');
  assert.equal(witness.sa.connected && witness.sb.connected, true, 'witness sessions still open');
}

/** Asserts an ERROR frame with message and code headers, then the close. */
async function expectErrorAndClose(raw: RawStomp, code?: string | string[]): Promise<void> {
  const err = await raw.waitFrame('ERROR');
  assert.ok(err.headers['message'], `ERROR has a message header: ${JSON.stringify(err.headers)}`);
  assert.ok(err.headers['code'], `ERROR has a code header: ${JSON.stringify(err.headers)}`);
  if (code) {
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(err.headers['code']!), `ERROR code ${err.headers['code']} is one of ${codes}: ${JSON.stringify(err.headers)}`);
  }
  await raw.waitClosed(5000);
}

async function status(u: TestUser, ids: string[]): Promise<Record<string, any>> {
  const r = await u.api.post('/chat/user-status/batch', ids);
  assert.equal(r.status, 200, show(r));
  return r.json;
}

describe('CONNECT authentication', () => {
  for (const [what, token] of [
    ['without a token', undefined],
    ['with a garbage token', 'garbage'],
    ['with an empty bearer', ''],
  ] as const) {
    test(`CONNECT ${what} gets ERROR code=UNAUTHORIZED and the socket closes`, async () => {
      const { raw, frame } = await RawStomp.connect(srv, token);
      assert.equal(frame.command, 'ERROR', `not silently dropped and not accepted: ${JSON.stringify(frame)}`);
      assert.equal(frame.headers['code'], 'UNAUTHORIZED');
      assert.ok(frame.headers['message']);
      await raw.waitClosed();
      await assertStillServing();
    });
  }

  test('forged tokens (other key, alg none, HS256 with the public key, bad signature, edited payload) are refused', async () => {
    const [victim, attacker] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const forged = await forgeFrom(attacker.accessToken, `${srv.httpBase}/.well-known/jwks.json`, victim.userId);
    for (const [what, tok] of Object.entries(forged)) {
      const { raw, frame } = await RawStomp.connect(srv, tok);
      assert.equal(frame.command, 'ERROR', `${what}: ${JSON.stringify(frame)}`);
      assert.equal(frame.headers['code'], 'UNAUTHORIZED', what);
      await raw.waitClosed();
    }
    await assertStillServing();
  });

  test('the token may come in a passcode header instead (docs/protocol.md)', async () => {
    const u = await register(anon);
    const { raw, frame } = await RawStomp.connect(srv, undefined, { login: u.username, passcode: u.accessToken });
    assert.equal(frame.command, 'CONNECTED', JSON.stringify(frame));
    await raw.close();
  });

  test('@stomp/stompjs sees the refusal as an ERROR frame, not a silent drop', async () => {
    await assert.rejects(connectStomp(srv, 'not-a-token'), (e: unknown) => {
      assert.ok(e instanceof StompRefused, `got ${String(e)}`);
      assert.equal(e.frame.headers['code'], 'UNAUTHORIZED');
      return true;
    });
  });

  test('heart-beats are negotiated: the server offers 10000,10000', async () => {
    const u = await register(anon);
    const { raw, frame } = await RawStomp.connect(srv, u.accessToken, { 'heart-beat': '10000,10000' });
    assert.equal(frame.command, 'CONNECTED', JSON.stringify(frame));
    assert.equal(frame.headers['heart-beat'], '10000,10000');
    assert.equal(frame.headers['version'], '1.2');
    await raw.close();
    const s = await connectStomp(srv, u.accessToken, { heartbeatIncoming: 10000, heartbeatOutgoing: 10000 });
    assert.equal(s.connectedFrame?.headers['heart-beat'], '10000,10000');
    await s.close();
  });

  for (const [proto, version] of [['v12.stomp', '1.2'], ['v11.stomp', '1.1'], ['v10.stomp', '1.0']] as const) {
    test(`subprotocol ${proto} is accepted and STOMP ${version} is spoken`, async () => {
      const u = await register(anon);
      const raw = await RawStomp.open(srv, [proto]);
      assert.equal(raw.protocol, proto);
      raw.send('CONNECT', { 'accept-version': version, host: '127.0.0.1', Authorization: `Bearer ${u.accessToken}` });
      const f = await raw.waitFrame('CONNECTED');
      assert.equal(f.headers['version'] ?? '1.0', version);
      await raw.close();
    });
  }

  test('DISCONNECT with a receipt gets the RECEIPT, then the server closes', async () => {
    const u = await register(anon);
    const { raw, frame } = await RawStomp.connect(srv, u.accessToken);
    assert.equal(frame.command, 'CONNECTED');
    raw.send('DISCONNECT', { receipt: 'bye-1' });
    const r = await raw.waitFrame('RECEIPT');
    assert.equal(r.headers['receipt-id'], 'bye-1');
    await raw.waitClosed();
  });
});

describe('protocol violations get ERROR and a close; the server keeps serving', () => {
  test('SUBSCRIBE to a room the user is not in', async () => {
    const u = await register(anon);
    const { raw } = await RawStomp.connect(srv, u.accessToken);
    raw.send('SUBSCRIBE', { id: 's1', destination: `/topic/rooms/${witness.room.chatId}`, receipt: 'r1' });
    await expectErrorAndClose(raw, 'FORBIDDEN');
    assert.equal(raw.frames.filter((f) => f.command === 'RECEIPT').length, 0, 'no RECEIPT for a refused SUBSCRIBE');
    assert.equal(raw.frames.filter((f) => f.command === 'MESSAGE').length, 0, 'nothing delivered');
    await assertStillServing();
  });

  test('SUBSCRIBE to a room that does not exist, a non-numeric room id, or an unknown destination', async () => {
    const u = await register(anon);
    for (const dest of ['/topic/rooms/999999999', '/topic/rooms/abc', '/topic/rooms/1/../2', '/topic/everything', '/queue/x', '/user/queue/other']) {
      const { raw } = await RawStomp.connect(srv, u.accessToken);
      raw.send('SUBSCRIBE', { id: 's1', destination: dest });
      await expectErrorAndClose(raw, 'FORBIDDEN');
    }
    await assertStillServing();
  });

  test('SUBSCRIBE with a receipt gets a RECEIPT; the subscription then delivers', async () => {
    const { raw } = await RawStomp.connect(srv, witness.b.accessToken);
    raw.send('SUBSCRIBE', { id: 'sub-9', destination: `/topic/rooms/${witness.room.chatId}`, receipt: 'rcpt-9' });
    const r = await raw.waitFrame('RECEIPT');
    assert.equal(r.headers['receipt-id'], 'rcpt-9');
    const id = await witness.sa.sendMessage(witness.room.chatId, 'to raw');
    const msg = await raw.waitFrame('MESSAGE', (f) => f.body.includes(id));
    assert.equal(msg.headers['subscription'], 'sub-9');
    assert.equal(msg.headers['destination'], `/topic/rooms/${witness.room.chatId}`);
    assert.ok(msg.headers['message-id'], 'MESSAGE has a message-id header');
    assert.match(msg.headers['content-type'] ?? '', /application\/json/);
    assert.equal(JSON.parse(msg.body).messageId, id);
    await raw.close();
  });

  test('UNSUBSCRIBE stops delivery to that subscription', async () => {
    const { raw } = await RawStomp.connect(srv, witness.b.accessToken);
    const dest = `/topic/rooms/${witness.room.chatId}`;
    raw.send('SUBSCRIBE', { id: 'old', destination: dest, receipt: 'r-old' });
    await raw.waitFrame('RECEIPT', (f) => f.headers['receipt-id'] === 'r-old');
    raw.send('UNSUBSCRIBE', { id: 'old', receipt: 'r-unsub' });
    await raw.waitFrame('RECEIPT', (f) => f.headers['receipt-id'] === 'r-unsub');
    raw.send('SUBSCRIBE', { id: 'new', destination: dest, receipt: 'r-new' });
    await raw.waitFrame('RECEIPT', (f) => f.headers['receipt-id'] === 'r-new');
    const id = await witness.sa.sendMessage(witness.room.chatId, 'after unsubscribe');
    await raw.waitFrame('MESSAGE', (f) => f.headers['subscription'] === 'new' && f.body.includes(id));
    assert.equal(raw.frames.filter((f) => f.command === 'MESSAGE' && f.headers['subscription'] === 'old').length, 0);
    await raw.close();
  });

  test('a frame over 64 KiB gets ERROR code=FRAME_TOO_LARGE', async () => {
    const u = await register(anon);
    const { raw } = await RawStomp.connect(srv, u.accessToken);
    const body = JSON.stringify({ chatRoomId: witness.room.chatId, content: 'x'.repeat(70 * 1024) });
    raw.send('SEND', { destination: '/app/chat.sendMessage', 'content-type': 'application/json' }, body);
    await expectErrorAndClose(raw, 'FRAME_TOO_LARGE');
    await assertStillServing();
  });

  test('a frame declaring a huge content-length gets ERROR code=FRAME_TOO_LARGE', async () => {
    const u = await register(anon);
    const { raw } = await RawStomp.connect(srv, u.accessToken);
    raw.sendRaw('SEND\ndestination:/app/chat.sendMessage\ncontent-length:10000000\n\n{"a":1}');
    await expectErrorAndClose(raw, 'FRAME_TOO_LARGE');
    await assertStillServing();
  });

  // Codes from docs/protocol.md.
  const malformed: [string, string, string[]][] = [
    ['an unknown command', encodeFrame('BOGUS', { destination: '/x' }), ['MALFORMED_FRAME', 'UNSUPPORTED_COMMAND']],
    ['a header line without a colon', 'SEND\ndestination:/app/chat.sendMessage\nnocolonhere\n\n{}\0', ['MALFORMED_FRAME']],
    ['SEND without a destination', encodeFrame('SEND', {}, '{}'), ['MALFORMED_FRAME']],
    ['SUBSCRIBE without an id', encodeFrame('SUBSCRIBE', { destination: '/user/queue/events' }), ['MALFORMED_FRAME']],
    ['an invalid header escape', 'SEND\ndestination:/app/chat.\\qsendMessage\n\n{}\0', ['MALFORMED_FRAME']],
    ['a content-length that is not a number', 'SEND\ndestination:/app/chat.sendMessage\ncontent-length:abc\n\n{}\0', ['MALFORMED_FRAME']],
    ['a content-length that does not end at a NUL', 'SEND\ndestination:/app/heartbeat\ncontent-length:1\n\n{}\0', ['MALFORMED_FRAME']],
    ['binary garbage', '\u0001\u0002\u0003\u00ff\n\n\0', ['MALFORMED_FRAME', 'UNSUPPORTED_COMMAND']],
    ['more than 32 headers', encodeFrame('SEND', Object.fromEntries([['destination', '/app/heartbeat'], ...Array.from({ length: 40 }, (_, i) => [`h${i}`, 'v'])]), '{}'), ['TOO_MANY_HEADERS']],
    ['a header line over 8 KiB', encodeFrame('SEND', { destination: '/app/heartbeat', big: 'h'.repeat(9000) }, '{}'), ['FRAME_TOO_LARGE']],
    ['a second CONNECT', encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'x' }), ['ALREADY_CONNECTED']],
    ['a transaction (BEGIN)', encodeFrame('BEGIN', { transaction: 't1' }), ['UNSUPPORTED_COMMAND']],
  ];
  for (const [what, bytes, codes] of malformed) {
    test(`a bad frame (${what}) gets ERROR ${codes.join('|')} and a close`, async () => {
      const u = await register(anon);
      const { raw } = await RawStomp.connect(srv, u.accessToken);
      raw.sendRaw(bytes);
      await expectErrorAndClose(raw, codes);
      await assertStillServing();
    });
  }

  test('a subscription id used twice gets ERROR DUPLICATE_SUBSCRIPTION', async () => {
    const u = await register(anon);
    const { raw } = await RawStomp.connect(srv, u.accessToken);
    raw.send('SUBSCRIBE', { id: 'dup', destination: '/user/queue/events', receipt: 'r1' });
    await raw.waitFrame('RECEIPT');
    raw.send('SUBSCRIBE', { id: 'dup', destination: '/user/queue/errors' });
    await expectErrorAndClose(raw, 'DUPLICATE_SUBSCRIPTION');
  });

  test('CONNECT offering only an unknown STOMP version gets ERROR UNSUPPORTED_VERSION', async () => {
    const u = await register(anon);
    const raw = await RawStomp.open(srv);
    raw.send('CONNECT', { 'accept-version': '9.9', host: 'x', Authorization: `Bearer ${u.accessToken}` });
    await expectErrorAndClose(raw, 'UNSUPPORTED_VERSION');
  });

  test('a SEND to an unknown /app destination is refused with UNKNOWN_DESTINATION; the session stays open', async () => {
    const u = await register(anon);
    const s = await connectStomp(srv, u.accessToken);
    const r = await s.send('/app/chat.deleteEverything', {});
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'UNKNOWN_DESTINATION');
    assert.equal((await s.send('/app/heartbeat', {})).ok, true, 'still open');
    await s.close();
  });

  test('a frame other than CONNECT before CONNECT gets ERROR and a close', async () => {
    const raw = await RawStomp.open(srv);
    raw.send('SEND', { destination: '/app/chat.sendMessage' }, JSON.stringify({ chatRoomId: witness.room.chatId, content: 'sneaky' }));
    await expectErrorAndClose(raw, 'NOT_CONNECTED');
    await assertStillServing();
  });

  test('a plain HTTP GET on the WebSocket endpoint does not crash anything', async () => {
    const r = await anon.get('/ws/websocket');
    assert.ok(r.status >= 400 && r.status < 500, show(r));
    await assertStillServing();
  });

  test('a WebSocket that offers no subprotocol is accepted and speaks STOMP (docs/protocol.md)', async () => {
    const u = await register(anon);
    const raw = await RawStomp.open(srv, []);
    assert.equal(raw.protocol, '');
    raw.send('CONNECT', { 'accept-version': '1.2', host: 'x', Authorization: `Bearer ${u.accessToken}` });
    const f = await raw.waitFrame('CONNECTED');
    assert.equal(f.headers['version'], '1.2');
    await raw.close();
    await assertStillServing();
  });
});

describe('SockJS', () => {
  test('/ws/info answers SockJS info JSON', async () => {
    const r = await anon.get('/ws/info');
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.websocket, true);
    assert.equal(typeof r.json.cookie_needed, 'boolean');
    assert.equal(typeof r.json.entropy, 'number');
  });

  for (const transport of ['websocket', 'xhr-streaming', 'xhr-polling'] as SockJsTransport[]) {
    test(`SockJS ${transport} delivers messages both ways`, async () => {
      const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
      const room = await createRoom(a, [b]);
      const sa = await connectStomp(srv, a.accessToken);
      const sb = await connectStomp(srv, b.accessToken, { transport: 'sockjs', sockjsTransports: [transport] });
      const tb = await sb.subscribe(`/topic/rooms/${room.chatId}`);
      const ta = await sa.subscribe(`/topic/rooms/${room.chatId}`);
      const id1 = await sa.sendMessage(room.chatId, `to ${transport}`);
      const m1 = await tb.waitFor((m) => m.messageId === id1);
      assert.equal(m1.content, `to ${transport}`);
      const id2 = await sb.sendMessage(room.chatId, `from ${transport} ✓ "quoted"\nline`);
      assert.match(id2, ULID_RE);
      const m2 = await ta.waitFor((m) => m.messageId === id2);
      assert.equal(m2.content, `from ${transport} ✓ "quoted"\nline`);
      // Several quick messages arrive in order over the transport.
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await sa.sendMessage(room.chatId, `burst ${i}`));
      const got = await tb.waitForCount(7);
      assert.deepEqual(got.slice(2).map((m) => m.messageId), ids);
      // Refusals reach SockJS clients on /user/queue/errors too.
      const refused = await sb.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: '' });
      assert.equal(refused.ok, false);
      await Promise.all([sa.close(), sb.close()]);
    });
  }

  test('SockJS refuses a bad token with an ERROR frame', async () => {
    await assert.rejects(connectStomp(srv, 'garbage', { transport: 'sockjs', sockjsTransports: ['xhr-streaming'] }), (e: unknown) => {
      assert.ok(e instanceof StompRefused, String(e));
      assert.equal(e.frame.headers['code'], 'UNAUTHORIZED');
      return true;
    });
  });
});

describe('presence', () => {
  test('bug 10: online while connected; offline with lastSeen once the last session disconnects', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const s1 = await connectStomp(srv, b.accessToken);
    const s2 = await connectStomp(srv, b.accessToken, { transport: 'sockjs', sockjsTransports: ['xhr-streaming'] });
    let st = await status(a, [b.userId]);
    assert.deepEqual(hasKeys(st[b.userId], ['userId', 'status', 'lastSeen']), [], JSON.stringify(st));
    assert.equal(st[b.userId].userId, b.userId);
    assert.equal(st[b.userId].status, 'ONLINE');
    await s1.close();
    st = await status(a, [b.userId]);
    assert.equal(st[b.userId].status, 'ONLINE', 'one session left');
    const beforeClose = Date.now();
    await s2.close();
    const off = await pollUntil('b to be OFFLINE', async () => {
      const x = (await status(a, [b.userId]))[b.userId];
      return x.status === 'OFFLINE' ? x : undefined;
    }, 5000);
    assert.match(off.lastSeen, ISO_UTC_RE, `lastSeen is ISO-8601 UTC: ${off.lastSeen}`);
    const seen = Date.parse(off.lastSeen);
    assert.ok(seen >= beforeClose - 2000 && seen <= Date.now() + 1000, `lastSeen ${off.lastSeen} is about when b left`);
    // Back online on reconnect.
    const s3 = await connectStomp(srv, b.accessToken);
    assert.equal((await status(a, [b.userId]))[b.userId].status, 'ONLINE');
    await s3.close();
  });

  test('a dropped connection (no DISCONNECT) also marks the user offline', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const s = await connectStomp(srv, b.accessToken);
    assert.equal((await status(a, [b.userId]))[b.userId].status, 'ONLINE');
    await s.drop();
    await pollUntil('b to be OFFLINE after the drop', async () => (await status(a, [b.userId]))[b.userId].status === 'OFFLINE', 5000);
  });

  test('unknown ids and users never seen are OFFLINE with lastSeen null; an empty list is {}', async () => {
    const [a, never] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    const st = await status(a, [unknown, never.userId]);
    assert.deepEqual(st[unknown], { userId: unknown, status: 'OFFLINE', lastSeen: null });
    assert.deepEqual(st[never.userId], { userId: never.userId, status: 'OFFLINE', lastSeen: null });
    assert.deepEqual(await status(a, []), {});
    const noToken = await anon.post('/chat/user-status/batch', [a.userId]);
    assert.equal(noToken.status, 401);
    const notArray = await a.api.post('/chat/user-status/batch', { ids: [a.userId] });
    assert.equal(notArray.status, 400, show(notArray));
  });
});

describe('/user/queue/events', () => {
  const EVENT_KEYS = ['type', 'chatId', 'room', 'userId', 'status', 'lastSeen'];

  test('ROOM_ADDED when someone creates a group or a DM with you', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const sb = await connectStomp(srv, b.accessToken);
    const ev = await sb.subscribe('/user/queue/events');
    const room = await createRoom(a, [b], 'PRIVATE');
    const added = await ev.waitFor((e) => e.type === 'ROOM_ADDED' && e.chatId === room.chatId);
    assert.deepEqual(hasKeys(added, EVENT_KEYS), [], JSON.stringify(added));
    assert.equal(added.room.chatId, room.chatId);
    assert.equal(added.room.name, room.name);
    assert.equal(added.status, null, 'fields that do not apply are null');
    assert.equal(added.lastSeen, null);
    const dm = await createRoom(a, [b], 'DIRECT_MESSAGE');
    await ev.waitFor((e) => e.type === 'ROOM_ADDED' && e.chatId === dm.chatId);
    // The new member can subscribe to the room right away.
    const topic = await sb.subscribe(`/topic/rooms/${room.chatId}`);
    const r = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'welcome' });
    await topic.waitFor((m) => m.messageId === r.json.messageId);
    await sb.close();
  });

  test('MEMBER_ADDED / MEMBER_REMOVED to members; ROOM_ADDED / ROOM_REMOVED to the user concerned', async () => {
    const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b], 'PUBLIC');
    const [sb, sc] = await Promise.all([connectStomp(srv, b.accessToken), connectStomp(srv, c.accessToken)]);
    const [eb, ec] = await Promise.all([sb.subscribe('/user/queue/events'), sc.subscribe('/user/queue/events')]);
    assert.equal((await a.api.post(`/chat/rooms/${room.chatId}/members`, { userId: c.userId })).status, 201);
    const ma = await eb.waitFor((e) => e.type === 'MEMBER_ADDED' && e.chatId === room.chatId);
    assert.equal(ma.userId, c.userId);
    await ec.waitFor((e) => e.type === 'ROOM_ADDED' && e.chatId === room.chatId);
    assert.equal((await a.api.delete(`/chat/rooms/${room.chatId}/members/${c.userId}`)).status, 200);
    const mr = await eb.waitFor((e) => e.type === 'MEMBER_REMOVED' && e.chatId === room.chatId);
    assert.equal(mr.userId, c.userId);
    await ec.waitFor((e) => e.type === 'ROOM_REMOVED' && e.chatId === room.chatId);
    await Promise.all([sb.close(), sc.close()]);
  });

  test('a removed member stops receiving the room on a subscription made while a member', async () => {
    const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    const room = await createRoom(a, [b, c], 'PRIVATE');
    const [sb, sc] = await Promise.all([connectStomp(srv, b.accessToken), connectStomp(srv, c.accessToken)]);
    const topic = `/topic/rooms/${room.chatId}`;
    const [tb, tc] = await Promise.all([sb.subscribe(topic), sc.subscribe(topic)]);
    assert.equal((await a.api.delete(`/chat/rooms/${room.chatId}/members/${c.userId}`)).status, 200);
    const r = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'members only' });
    await tb.waitFor((m) => m.messageId === r.json.messageId);
    const marker = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'marker' });
    await tb.waitFor((m) => m.messageId === marker.json.messageId);
    assert.equal(tc.filter((m) => m.content === 'members only').length, 0, 'the removed member got nothing');
    if (sc.connected) {
      const send = await sc.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: 'still here?' });
      assert.equal(send.ok, false, 'a removed member cannot send');
    }
    await Promise.all([sb.close(), sc.close()]);
  });

  test('ROOM_UPDATED on PUT and ROOM_DELETED on DELETE', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b], 'PRIVATE');
    const sb = await connectStomp(srv, b.accessToken);
    const ev = await sb.subscribe('/user/queue/events');
    assert.equal((await a.api.put(`/chat/rooms/${room.chatId}`, { name: 'New name' })).status, 200);
    const up = await ev.waitFor((e) => e.type === 'ROOM_UPDATED' && e.chatId === room.chatId);
    assert.equal(up.room?.name, 'New name');
    assert.equal((await a.api.delete(`/chat/rooms/${room.chatId}`)).status, 200);
    const del = await ev.waitFor((e) => e.type === 'ROOM_DELETED' && e.chatId === room.chatId);
    assert.deepEqual(hasKeys(del, EVENT_KEYS), []);
    await sb.close();
  });

  test('PRESENCE of co-members: ONLINE on connect, OFFLINE with lastSeen on disconnect; none for strangers', async () => {
    const [a, c, stranger] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    await createRoom(a, [c], 'PRIVATE');
    const sa = await connectStomp(srv, a.accessToken);
    const ev = await sa.subscribe('/user/queue/events');
    const ss = await connectStomp(srv, stranger.accessToken);
    const sc = await connectStomp(srv, c.accessToken);
    const on = await ev.waitFor((e) => e.type === 'PRESENCE' && e.userId === c.userId && e.status === 'ONLINE');
    assert.deepEqual(hasKeys(on, EVENT_KEYS), [], JSON.stringify(on));
    await sc.close();
    const off = await ev.waitFor((e) => e.type === 'PRESENCE' && e.userId === c.userId && e.status === 'OFFLINE');
    assert.match(off.lastSeen, ISO_UTC_RE);
    assert.equal(ev.filter((e) => e.userId === stranger.userId).length, 0, 'no presence of people who share no room');
    await Promise.all([sa.close(), ss.close()]);
  });

  test('another user’s event queue cannot be read: /user/queue/events only carries your own events', async () => {
    const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
    const sc = await connectStomp(srv, c.accessToken);
    const evc = await sc.subscribe('/user/queue/events');
    const sb = await connectStomp(srv, b.accessToken);
    const evb = await sb.subscribe('/user/queue/events');
    const room = await createRoom(a, [b], 'PRIVATE');
    await evb.waitFor((e) => e.type === 'ROOM_ADDED' && e.chatId === room.chatId);
    const room2 = await createRoom(a, [c], 'PRIVATE');
    await evc.waitFor((e) => e.type === 'ROOM_ADDED' && e.chatId === room2.chatId);
    assert.equal(evc.filter((e) => e.chatId === room.chatId).length, 0, 'c did not see b’s event');
    await Promise.all([sb.close(), sc.close()]);
  });
});

describe('expired access token', () => {
  test('an expired token is 401 on REST and ERROR UNAUTHORIZED at CONNECT', async () => {
    const { short, u } = await expiring;
    const claims = decodeJwt(u.accessToken);
    assert.equal(claims.exp! - claims.iat!, 2, 'PARLEY_AUTH_ACCESS_TTL_SECONDS=2 is honoured');
    // Expiry needs elapsed time: 2 s plus the server's clock-skew leeway (30 s today).
    await pollUntil('the access token to expire (2 s + leeway)', async () => {
      const r = await u.api.get('/users/me');
      return r.status === 401 ? r : undefined;
    }, 45_000);
    const me = await u.api.get('/users/me');
    assert.equal(me.json?.status, 401, 'JSON body');
    const { raw, frame } = await RawStomp.connect(short, u.accessToken);
    assert.equal(frame.command, 'ERROR', JSON.stringify(frame));
    assert.equal(frame.headers['code'], 'UNAUTHORIZED');
    await raw.waitClosed();
    // A refresh gives a working token again.
    const r = await short.api().post('/auth/refresh-token', { refreshToken: u.refreshToken });
    assert.equal(r.status, 200, show(r));
    const ok = await RawStomp.connect(short, r.json.accessToken);
    assert.equal(ok.frame.command, 'CONNECTED');
    await ok.raw.close();
  });
});
