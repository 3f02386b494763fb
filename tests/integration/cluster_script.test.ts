// The cluster as scripts/cluster.sh makes it, the shape of a production one (docs/deployment.md):
// three `parley serve` nodes behind HAProxy, two `parley persist` workers, Kafka, Redis, MariaDB
// and an S3 server (versitygw), each a real engine on loopback. Properties:
// - `up` brings every process to ready and `down` stops every one it started;
// - five senders on three nodes (four connected to a node directly, one through HAProxy over
//   SockJS xhr-streaming) in one room: seq 1..n, no gap, and a subscriber on each node and one
//   through HAProxy see the same order, each message once;
// - media through HAProxy: presigned upload to the S3 server, read back through the viewUrl;
// - a worker killed -9 and not restarted: the other worker takes its partitions (after the Kafka
//   session timeout) and sends go on, every acknowledged message stored once.
// Run with `npm run test:cluster-script` in tests/e2e (scripts/test.sh does); needs a release build.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Api, createRoom, freePort, parleyBin, registerMany, repoRoot, show,
  type Closable, type StompTarget, type TestUser,
} from '../e2e/src/harness.ts';
import { connectStomp, type StompSession } from '../e2e/src/stomp.ts';
import { pollUntil } from '../e2e/src/util.ts';
import { assertDenseOnce, history, partitionOfKey, sendUntilAcknowledged } from './cluster_support.ts';

/** As a client resends: the same clientMessageId, until acknowledged. */
const sendUntil = (s: StompSession, chatId: number, content: string) =>
  sendUntilAcknowledged(s, chatId, content, { attempts: 60, timeoutMs: 12_000 });

const script = path.join(repoRoot, 'scripts', 'cluster.sh');
const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-cluster-script-'));
let port = 0;

function cluster(...args: string[]): string {
  return execFileSync(script, [args[0]!, dir, ...args.slice(1)], {
    encoding: 'utf8',
    env: { ...process.env, PARLEY_BIN: parleyBin, PARLEY_AUTH_ARGON2: 'min' },
  });
}

/** A STOMP target on loopback: a node (port + i) or HAProxy (port). */
function target(p: number): StompTarget {
  return { wsUrl: `ws://127.0.0.1:${p}/ws/websocket`, sockjsUrl: `http://127.0.0.1:${p}/ws`, clients: new Set<Closable>() };
}

const api = () => new Api(`http://127.0.0.1:${port}`);

before(async () => {
  // Ports port..port+3 for HAProxy and the nodes, port+51.. for the workers: all must be free.
  port = await freePort();
  cluster('up', '3', String(port));
});
after(() => {
  try {
    cluster('down');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('scripts/cluster.sh up', () => {
  test('three nodes, two workers, Kafka, S3 and HAProxy, every one ready', () => {
    const status = cluster('status');
    const ready = status.split('\n').filter((l) => l.includes('/readyz'));
    assert.equal(ready.filter((l) => /^node\d /.test(l)).length, 3, status);
    assert.equal(ready.filter((l) => l.startsWith('persist w')).length, 2, status);
    assert.ok(ready.every((l) => l.endsWith('/readyz 200')), status);
    assert.match(status, /^kafka 127\.0\.0\.1:\d+/m, status);
    assert.match(status, /^s3 http:\/\/127\.0\.0\.1:\d+ bucket parley/m, status);
  });
});

describe('five senders on three nodes in one room', () => {
  test('seq 1..n without a gap, and every subscriber on every node sees the same order, once', async () => {
    const users = (await registerMany(api(), 5)) as TestUser[];
    const room = await createRoom(users[0]!, users.slice(1));
    const nodes = [1, 2, 3].map((i) => target(port + i));
    const edge = target(port);
    // Subscribers first: one on each node and one through HAProxy over SockJS.
    const watchers = await Promise.all([
      ...nodes.map((n) => connectStomp(n, users[0]!.accessToken)),
      connectStomp(edge, users[1]!.accessToken, { transport: 'sockjs', sockjsTransports: ['xhr-streaming'] }),
    ]);
    const inboxes = await Promise.all(watchers.map((w) => w.subscribe(`/topic/rooms/${room.chatId}`)));
    const senders = await Promise.all(
      users.map((u, i) =>
        i === 4
          ? connectStomp(edge, u.accessToken, { transport: 'sockjs', sockjsTransports: ['xhr-streaming'] })
          : connectStomp(nodes[i % 3]!, u.accessToken),
      ),
    );
    const perSender = 20;
    const contents = senders.map((_, i) => Array.from({ length: perSender }, (_, k) => `s${i + 1}-${k + 1}`));
    await Promise.all(senders.map(async (s, i) => {
      for (const c of contents[i]!) await sendUntil(s, room.chatId, c);
    }));
    const total = senders.length * perSender;
    const h = await history(users[0]!, room.chatId);
    assertDenseOnce(h, contents.flat());
    assert.equal(h.length, total);
    for (const [i, c] of contents.entries()) {
      const mine = h.filter((m) => m.content.startsWith(`s${i + 1}-`)).map((m) => m.content);
      assert.deepEqual(mine, c, `sender ${i + 1}'s messages in the order sent`);
    }
    for (const [i, inbox] of inboxes.entries()) {
      await inbox.waitForCount(total, () => true, 20_000);
      assert.deepEqual(inbox.items.map((m) => m.messageId), h.map((m) => m.messageId), `subscriber ${i + 1}: history's order, each once`);
    }
    await Promise.all([...watchers, ...senders].map((s) => s.close()));
  });
});

describe('media through HAProxy', () => {
  test('a presigned upload to the S3 server, read back through the viewUrl', async () => {
    const [u] = (await registerMany(api(), 1)) as TestUser[];
    const bytes = randomBytes(2048);
    const p = await u!.api.post('/storage/presigned-url', { filename: 'cat.png', contentType: 'image/png', size: bytes.length });
    assert.equal(p.status, 200, show(p));
    const s3 = readFileSync(path.join(dir, 's3', 'endpoint'), 'utf8').trim();
    assert.ok(p.json.uploadUrl.startsWith(`${s3}/parley/`), p.json.uploadUrl);
    const put = await fetch(p.json.uploadUrl, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: bytes });
    assert.equal(put.status, 200, await put.text());
    assert.ok(p.json.viewUrl.startsWith(`http://127.0.0.1:${port}/media/`), p.json.viewUrl);
    const got = await fetch(p.json.viewUrl);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  });
});

describe('a worker killed -9 and not restarted', () => {
  test('the other worker takes its partitions, and every acknowledged message is stored once', async () => {
    const [a, b] = (await registerMany(api(), 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const sender = await connectStomp(target(port + 1), b.accessToken);
    const contents = Array.from({ length: 10 }, (_, i) => `k${i + 1}`);
    for (const c of contents.slice(0, 5)) await sendUntil(sender, room.chatId, c);
    // The worker that owns the room's partition: the partition from the log, the owner from the
    // workers' /metrics (lag is reported for assigned partitions only).
    const kafka = readFileSync(path.join(dir, 'kafka.address'), 'utf8').trim();
    const partition = partitionOfKey(kafka, 'chat-messages', String(room.chatId));
    const owner = await pollUntil('the owner of the room\'s partition', async () => {
      for (const w of ['w1', 'w2']) {
        const wport = port + 50 + Number(w.slice(1));
        const text = await (await fetch(`http://127.0.0.1:${wport}/metrics`)).text();
        if (text.includes(`partition="${partition}"}`)) return w;
      }
      return undefined;
    }, 10_000);
    cluster('kill', owner);
    assert.ok(!existsSync(path.join(dir, `node${owner}.pid`)));
    for (const c of contents.slice(5)) await sendUntil(sender, room.chatId, c);
    const h = await pollUntil('history complete', async () => {
      const m = await history(a, room.chatId);
      return m.length === contents.length ? m : undefined;
    }, 10_000);
    assertDenseOnce(h, contents);
    assert.deepEqual(h.map((m) => m.content), contents);
    await sender.close();
    cluster('start', owner);
  });
});
