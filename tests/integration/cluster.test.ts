// A parley cluster (two nodes on MariaDB and Redis, HAProxy in front) when parts of it fail.
// The end-to-end suite already runs every API test through such a cluster; this suite kills
// things. Each test starts its own cluster; the Redis test also its own Redis, since it kills it.
// Properties (docs/guarantees.md):
// - presence is right when one user has sessions on both nodes, and when a node dies (its users
//   go OFFLINE for everyone once the node has missed its heartbeats for 10 s);
// - a node killed -9 or drained by SIGTERM: HAProxy sends new requests and reconnects to the
//   survivor; every acknowledged message is in history exactly once, seq dense, and a resend with
//   the same clientMessageId is recognised by the other node;
// - Redis killed and restarted: sends are still stored and acknowledged, and a subscriber on the
//   other node receives every message in seq order, once, when Redis is back.
// Needs PARLEY_E2E_MARIADB_DSN and PARLEY_E2E_REDIS; `npm run test:cluster` in tests/e2e.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clustered, show, type ParleyServer, type TestUser } from '../e2e/src/harness.ts';
import { assertDenseOnce, clusterWithPair, history, privateEngine } from './cluster_support.ts';
import { connectStomp, type StompSession } from '../e2e/src/stomp.ts';
import { pollUntil } from '../e2e/src/util.ts';

if (!clustered) throw new Error('the cluster suite needs PARLEY_E2E_MARIADB_DSN and PARLEY_E2E_REDIS');

/** The sweep's deadline: node_ttl (10 s) plus a heartbeat and the sweeper's own beat. */
const NODE_DEATH_NOTICED_MS = 20_000;

async function statusOf(viewer: TestUser, user: TestUser): Promise<string> {
  const r = await viewer.api.post('/chat/user-status/batch', [user.userId]);
  assert.equal(r.status, 200, show(r));
  return r.json[user.userId].status;
}

/** Sends with a clientMessageId until acknowledged, reconnecting through HAProxy when cut off. */
async function sendSurely(
  srv: ParleyServer, user: TestUser, session: { s: StompSession }, chatId: number, content: string,
): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (!session.s.connected) session.s = await connectStomp(srv, user.accessToken).catch(() => session.s);
    if (session.s.connected) {
      const r = await session.s.send('/app/chat.sendMessage', { chatRoomId: chatId, content, clientMessageId: `c-${content}` }, 5000).catch(() => undefined);
      if (r?.ok && r.messageId) return r.messageId;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`"${content}" was never acknowledged`);
}

describe('presence across nodes', () => {
  test('a user with a session on each node is ONLINE until the last one closes', async () => {
    const { a, b, n1, n2 } = await clusterWithPair();
    const onOne = await connectStomp(n1, b.accessToken);
    const onTwo = await connectStomp(n2, b.accessToken);
    assert.equal(await statusOf(a, b), 'ONLINE');
    await onOne.close();
    assert.equal(await statusOf(a, b), 'ONLINE', 'the session on the other node still counts');
    await onTwo.close();
    await pollUntil('b OFFLINE once both sessions closed', async () => (await statusOf(a, b)) === 'OFFLINE', 5000);
  });
});

describe('a node killed -9', () => {
  test('its users go OFFLINE for the others, HAProxy serves from the survivor, nothing acknowledged is lost', async () => {
    const { srv, a, b, room, n1, n2 } = await clusterWithPair();
    const watcher = await connectStomp(n2, a.accessToken);
    const events = await watcher.subscribe('/user/queue/events');
    const inbox = await watcher.subscribe(`/topic/rooms/${room.chatId}`);
    const victim = { s: await connectStomp(n1, b.accessToken) };
    await events.waitFor((e) => e.type === 'PRESENCE' && e.userId === b.userId && e.status === 'ONLINE');

    const before = ['k1', 'k2', 'k3'];
    for (const c of before) await sendSurely(srv, b, victim, room.chatId, c);
    await n1.kill();

    // Requests through HAProxy go on at once: a refused connection is retried on the survivor.
    for (let i = 0; i < 10; i++) {
      const r = await a.api.get(`/chat/rooms/${room.chatId}/messages?size=1`);
      assert.equal(r.status, 200, `request ${i} while node 1 is dead: ${show(r)}`);
    }
    const off = await events.waitFor(
      (e) => e.type === 'PRESENCE' && e.userId === b.userId && e.status === 'OFFLINE', NODE_DEATH_NOTICED_MS,
      'b OFFLINE after its node died');
    assert.ok(off.lastSeen, 'lastSeen set');
    assert.equal(await statusOf(a, b), 'OFFLINE');

    // b reconnects through HAProxy (to node 2, the only one up) and goes on.
    const afterKill = ['k4', 'k5'];
    for (const c of afterKill) await sendSurely(srv, b, victim, room.chatId, c);
    const offAt = events.items.indexOf(off);
    await events.waitFor((e) => events.items.indexOf(e) > offAt && e.type === 'PRESENCE' && e.userId === b.userId && e.status === 'ONLINE');
    const seen = await inbox.waitFor((m) => m.content === 'k5');
    assert.ok(seen);
    assertDenseOnce(await history(a, room.chatId), [...before, ...afterKill]);
    assert.deepEqual(inbox.items.map((m) => m.seq), [...inbox.items.map((m) => m.seq)].sort((x, y) => x - y), 'delivered in seq order');
  });
});

describe('a node drained by SIGTERM', () => {
  test('its clients get SERVER_SHUTDOWN, reconnect through HAProxy, and a resend is recognised by the other node', async () => {
    const { srv, a, b, room, n1, n2 } = await clusterWithPair();
    const watcher = await connectStomp(n2, a.accessToken);
    const inbox = await watcher.subscribe(`/topic/rooms/${room.chatId}`);
    const drained = await connectStomp(n1, b.accessToken);
    const first = await drained.sendMessage(room.chatId, 'before the drain', { clientMessageId: 'c-drain-1' });
    const exit = await n1.stop();
    assert.equal(exit.code, 0, `node 1 exits 0 after draining\n${n1.logTail()}`);
    await drained.closed;
    assert.equal(drained.stompErrors.items[0]?.headers['code'], 'SERVER_SHUTDOWN');

    // The client did not know whether its last send landed: it resends through HAProxy.
    const again = await connectStomp(srv, b.accessToken);
    const resent = await again.sendMessage(room.chatId, 'before the drain', { clientMessageId: 'c-drain-1' });
    assert.equal(resent, first, 'the other node recognises the retried clientMessageId');
    const next = await again.sendMessage(room.chatId, 'after the drain');
    await inbox.waitFor((m) => m.messageId === next);
    assertDenseOnce(await history(a, room.chatId), ['before the drain', 'after the drain']);
    await again.close();
  });
});

describe('Redis killed and restarted', () => {
  const redis = privateEngine('redis.sh');

  test('sends are stored meanwhile, and the other node delivers every message in seq order, once, when it is back', async () => {
    const address = redis('start');
    const { srv, a, room, n1, n2, b } = await clusterWithPair({ PARLEY_CLUSTER_REDIS: address });
    const sender = await connectStomp(n1, a.accessToken);
    const receiver = await connectStomp(n2, b.accessToken);
    const inbox = await receiver.subscribe(`/topic/rooms/${room.chatId}`);

    const contents = Array.from({ length: 30 }, (_, i) => `r${i + 1}`);
    for (const c of contents.slice(0, 10)) await sender.sendMessage(room.chatId, c);
    redis('kill');
    for (const c of contents.slice(10, 20)) {
      const r = await sender.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: c }, 5000);
      assert.ok(r.ok, `"${c}" is stored and acknowledged while Redis is down: ${JSON.stringify(r)}`);
    }
    redis('restart');
    // Ready again: each node, and HAProxy, whose checks put the nodes back in rotation.
    await pollUntil('both nodes ready again, and in rotation', async () => {
      for (const n of [...srv.nodes, srv]) if ((await n.api().get('/readyz')).status !== 200) return false;
      return true;
    }, 15_000);
    for (const c of contents.slice(20)) await sender.sendMessage(room.chatId, c);

    await inbox.waitFor((m) => m.content === 'r30', 15_000);
    await pollUntil('every message delivered', () => inbox.items.length >= 30 || undefined, 5000).catch(() => undefined);
    assert.deepEqual(inbox.items.map((m) => m.content), contents, 'every message, once, in seq order');
    assert.deepEqual(inbox.items.map((m) => m.seq), contents.map((_, i) => i + 1));
    assertDenseOnce(await history(a, room.chatId), contents);
    await Promise.all([sender.close(), receiver.close()]);
  });
});
