// Durability and resumption. Every test here owns its server because it kills or restarts it.
// The property: an acknowledged message (RECEIPT sent, or REST 201) is never lost, and a client
// that catches up with `after=<last id it saw>` gets exactly what it missed, in order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRoom, postMessage, registerMany, show, startServer, stopServer, type ParleyServer, type TestUser } from './harness.ts';
import { connectStomp, type StompSession } from './stomp.ts';

async function withServer(fn: (srv: ParleyServer) => Promise<void>): Promise<void> {
  const srv = await startServer();
  try {
    await fn(srv);
  } finally {
    await stopServer(srv);
  }
}

/** Reads the whole room history oldest first via `after=` paging, starting before the first message. */
async function fullHistory(u: TestUser, chatId: number): Promise<any[]> {
  const newest = await u.api.get(`/chat/rooms/${chatId}/messages?size=1`);
  assert.equal(newest.status, 200, show(newest));
  if (newest.json.content.length === 0) return [];
  // Walk back from the newest with before= to the start, then return oldest first.
  const out: any[] = [newest.json.content[0]];
  let cursor = newest.json.content[0].messageId;
  for (let guard = 0; guard < 100; guard++) {
    const r = await u.api.get(`/chat/rooms/${chatId}/messages?before=${cursor}&limit=200`);
    assert.equal(r.status, 200, show(r));
    out.unshift(...r.json.content);
    if (!r.json.hasMore || r.json.content.length === 0) break;
    cursor = r.json.content[0].messageId;
  }
  return out;
}

function assertContiguous(list: any[], from = 1): void {
  assert.deepEqual(list.map((m) => m.seq), Array.from({ length: list.length }, (_, i) => i + from), 'seq contiguous');
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].messageId < list[i].messageId, `ids strictly increase at ${i}`);
  assert.equal(new Set(list.map((m) => m.messageId)).size, list.length, 'no duplicates');
}

/** Sends `n` messages split over `sessions`, pipelined, and collects the acknowledged ids. */
function sendPipelined(sessions: StompSession[], chatId: number, n: number, acked: string[], tag: string): Promise<unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    sessions[i % sessions.length]!.sendMessage(chatId, `${tag} ${i}`).then((id) => {
      acked.push(id);
      return id;
    }),
  );
}

describe('durability', () => {
  test('bug 17: every message acknowledged before a SIGKILL is in the history after restart', async () => {
    await withServer(async (srv) => {
      const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
      const room = await createRoom(a, [b], 'PUBLIC');
      const sessions = await Promise.all([connectStomp(srv, a.accessToken), connectStomp(srv, a.accessToken), connectStomp(srv, b.accessToken)]);
      const acked: string[] = [];
      await Promise.all(sendPipelined(sessions, room.chatId, 60, acked, 'acked'));
      await srv.kill(); // right after the last RECEIPT
      await srv.restart();
      const h = await fullHistory(b, room.chatId);
      const ids = new Set(h.map((m) => m.messageId));
      const lost = acked.filter((id) => !ids.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged messages lost`);
      assert.equal(h.length, 60);
      assertContiguous(h);
      // Tokens issued before the restart still verify, and the room goes on where it stopped.
      const next = await postMessage(a, room.chatId, 'after restart');
      assert.equal(next.seq, 61, 'seq continues');
      assert.ok(next.messageId > h[h.length - 1].messageId, 'ids keep increasing across a restart');
    });
  });

  test('bug 17: a SIGKILL with messages in flight loses none that were acknowledged and leaves no gap', async () => {
    await withServer(async (srv) => {
      const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
      const room = await createRoom(a, [b], 'PUBLIC');
      const sessions = await Promise.all([
        connectStomp(srv, a.accessToken), connectStomp(srv, a.accessToken), connectStomp(srv, b.accessToken), connectStomp(srv, b.accessToken),
      ]);
      const acked: string[] = [];
      const pending = sendPipelined(sessions, room.chatId, 160, acked, 'inflight');
      for (const p of pending) p.catch(() => undefined);
      // Kill as soon as 60 are acknowledged, with up to 100 still on their way.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${acked.length} acknowledged in 10 s`)), 10_000);
        const check = setInterval(() => {
          if (acked.length >= 60) {
            clearInterval(check);
            clearTimeout(timer);
            resolve();
          }
        }, 1);
      });
      await srv.kill();
      const ackedAtKill = [...acked];
      await srv.restart();
      const h = await fullHistory(b, room.chatId);
      const ids = new Set(h.map((m) => m.messageId));
      const lost = ackedAtKill.filter((id) => !ids.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${ackedAtKill.length} acknowledged messages lost`);
      assertContiguous(h);
      // Through the Kafka log, sends that were in Kafka but not yet applied at the kill are applied
      // after the restart (unacknowledged: they may or may not land), so the room may still grow
      // while we read; they are ahead of this post in the room's partition, so it comes last.
      const next = await postMessage(a, room.chatId, 'after restart');
      const after = await fullHistory(b, room.chatId);
      assertContiguous(after);
      assert.equal(next.seq, after.length, 'the next seq follows the last stored one');
    });
  });

  test('SIGTERM drains: the server exits 0 and keeps everything it acknowledged', async () => {
    await withServer(async (srv) => {
      const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
      const room = await createRoom(a, [b]);
      const s = await connectStomp(srv, a.accessToken);
      const acked: string[] = [];
      await Promise.all(sendPipelined([s], room.chatId, 30, acked, 'drain'));
      const exit = await srv.stop();
      assert.equal(exit.code, 0, `clean exit on SIGTERM: ${JSON.stringify(exit)}\n${srv.logTail()}`);
      await srv.restart();
      const h = await fullHistory(b, room.chatId);
      assert.deepEqual(h.map((m) => m.messageId).sort(), [...acked].sort());
    });
  });

  test('users, rooms, members, read markers, statuses and refresh tokens survive a restart (bug 24: username filter rebuilt)', async () => {
    await withServer(async (srv) => {
      const anon = srv.api();
      const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
      assert.equal((await b.api.patch('/users/me', { bio: 'persisted bio' })).status, 200);
      const room = await createRoom(a, [b], 'PRIVATE', { icon: 'http://127.0.0.1/media/k' });
      const m1 = await postMessage(a, room.chatId, 'one');
      const m2 = await postMessage(a, room.chatId, 'two');
      const r = await b.api.post(`/chat/rooms/${room.chatId}/read`, { messageId: m1.messageId });
      assert.ok(r.status === 200 || r.status === 204, show(r));
      const sb = await connectStomp(srv, b.accessToken);
      await sb.sendOk('/app/chat.sendMessage', { messageId: m2.messageId, chatRoomId: room.chatId, status: 'DELIVERED' });
      await sb.close();
      await srv.kill();
      await srv.restart();

      const me = await b.api.get('/users/me');
      assert.equal(me.status, 200, `a token issued before the restart still works: ${show(me)}`);
      assert.equal(me.json.bio, 'persisted bio');
      const got = await b.api.get(`/chat/rooms/${room.chatId}`);
      assert.equal(got.status, 200, show(got));
      assert.equal(got.json.icon, 'http://127.0.0.1/media/k');
      const members = (await b.api.get(`/chat/rooms/${room.chatId}/members`)).json;
      assert.equal(members.find((x: any) => x.userId === a.userId).admin, true);
      assert.equal(members.find((x: any) => x.userId === b.userId).lastReadMessageId, m1.messageId);
      const my = (await b.api.get('/chat/rooms/my')).json.content.find((x: any) => x.chatId === room.chatId);
      assert.equal(my.unreadCount, 1);
      assert.equal((await b.api.get(`/chat/messages/${m2.messageId}`)).json.status, 'DELIVERED');
      const ex = await anon.get(`/auth/exists?username=${a.username}`);
      assert.deepEqual(ex.json, { exists: true });
      const dup = await anon.post('/auth/register', { fullName: 'Dup', username: a.username, email: `x${a.email}`, password: a.password });
      assert.equal(dup.status, 409, show(dup));
      const login = await anon.post('/auth/login', { username: a.username, password: a.password });
      assert.equal(login.status, 200, show(login));
      const refreshed = await anon.post('/auth/refresh-token', { refreshToken: a.refreshToken });
      assert.equal(refreshed.status, 200, `refresh token issued before the restart: ${show(refreshed)}`);
    });
  });
});

describe('reconnect and catch up', () => {
  test('a client that was away gets exactly the missed messages with after=, no gaps, no duplicates', async () => {
    await withServer(async (srv) => {
      const anon = srv.api();
      const [a, b, c] = (await registerMany(anon, 3)) as [TestUser, TestUser, TestUser];
      const room = await createRoom(a, [b, c], 'PUBLIC');
      const topic = `/topic/rooms/${room.chatId}`;
      const [sa, sb] = await Promise.all([connectStomp(srv, a.accessToken), connectStomp(srv, b.accessToken)]);
      let sc = await connectStomp(srv, c.accessToken);
      let tc = await sc.subscribe(topic);
      for (let i = 0; i < 5; i++) await (i % 2 ? sa : sb).sendMessage(room.chatId, `live ${i}`);
      const seenLive = await tc.waitForCount(5);
      const lastSeen = seenLive[seenLive.length - 1];
      await sc.drop();

      // While c is away: STOMP from two senders, pipelined, and REST.
      const missed: string[] = [];
      await Promise.all([
        ...sendPipelined([sa], room.chatId, 10, missed, 'away-a'),
        ...sendPipelined([sb], room.chatId, 10, missed, 'away-b'),
      ]);
      for (let i = 0; i < 3; i++) missed.push((await postMessage(a, room.chatId, `away-rest ${i}`)).messageId);

      sc = await connectStomp(srv, c.accessToken);
      tc = await sc.subscribe(topic);
      const r = await c.api.get(`/chat/rooms/${room.chatId}/messages?after=${lastSeen.messageId}&limit=200`);
      assert.equal(r.status, 200, show(r));
      const caught = r.json.content;
      assert.equal(r.json.hasMore, false);
      assert.deepEqual(caught.map((m: any) => m.messageId).sort(), [...missed].sort(), 'exactly the missed ones');
      assertContiguous(caught, lastSeen.seq + 1);
      // Live delivery resumes right after what was caught up.
      const live = await sa.sendMessage(room.chatId, 'back live');
      const m = await tc.waitFor((x) => x.messageId === live);
      assert.equal(m.seq, lastSeen.seq + caught.length + 1, 'no gap between catch-up and live');
      await Promise.all([sa.close(), sb.close(), sc.close()]);
    });
  });

  test('catching up after a server restart works with the same cursor', async () => {
    await withServer(async (srv) => {
      const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
      const room = await createRoom(a, [b]);
      const seen = await postMessage(a, room.chatId, 'seen');
      const missed: string[] = [];
      for (let i = 0; i < 5; i++) missed.push((await postMessage(a, room.chatId, `missed ${i}`)).messageId);
      await srv.kill();
      await srv.restart();
      for (let i = 0; i < 3; i++) missed.push((await postMessage(a, room.chatId, `after ${i}`)).messageId);
      const r = await b.api.get(`/chat/rooms/${room.chatId}/messages?after=${seen.messageId}`);
      assert.equal(r.status, 200, show(r));
      assert.deepEqual(r.json.content.map((m: any) => m.messageId), missed);
      assertContiguous(r.json.content, 2);
    });
  });
});
