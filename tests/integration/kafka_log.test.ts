// The cluster's Kafka log (docs/adr/0007) when its parts fail: two nodes behind HAProxy produce to
// a topic of their own, one `parley persist` worker writes MariaDB and answers through Redis.
// Properties (docs/guarantees.md, "cluster with the Kafka log"):
// - the worker killed -9 while a user streams sends: every acknowledged message is in history
//   exactly once, seq dense, and a subscriber on the other node receives each once, in seq order
//   (the restarted worker replays what it had not committed to Kafka; record ids and the nodes'
//   cursors make the replay harmless);
// - no worker at all: a send is answered UNAVAILABLE after cluster.verdict_timeout, its record
//   waits in Kafka, and once a worker is back the retry with the same clientMessageId gets the
//   message that record became, stored once;
// - poison records (not JSON, an unknown kind) go to <topic>.dlq with a `reason` header; the
//   worker counts them on /metrics and goes on with the records behind them;
// - the broker killed -9 (a Kafka of this test's own): sends are answered UNAVAILABLE, never
//   acknowledged, while it is down; once it is back (same data), retries are acknowledged,
//   every acknowledged message is stored once, seq dense, delivered once in the order of history;
// - MariaDB killed -9 under the worker (a MariaDB of this test's own): sends are answered
//   UNAVAILABLE, the worker retries the records it holds, in order, until the database is back,
//   then stores each once, in the order they were sent, and the retries are recognised.
// Needs PARLEY_E2E_MARIADB_DSN, PARLEY_E2E_REDIS and PARLEY_E2E_KAFKA; `npm run test:kafka`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { viaKafka, type NodeProcess } from '../e2e/src/harness.ts';
import {
  assertDenseOnce, assertUnavailable, clusterWithPair, history, privateEngine, receiverAndSender,
  sendOnce, sendUntilAcknowledged,
} from './cluster_support.ts';
import { connectStomp } from '../e2e/src/stomp.ts';
import { pollUntil } from '../e2e/src/util.ts';

if (!viaKafka) throw new Error('the Kafka log suite needs PARLEY_E2E_MARIADB_DSN, PARLEY_E2E_REDIS and PARLEY_E2E_KAFKA');
const bootstrap = process.env.PARLEY_E2E_KAFKA!;

async function clusterWithWorker(env: Record<string, string> = {}) {
  const c = await clusterWithPair(env);
  return { ...c, worker: c.srv.worker! };
}

async function metric(worker: NodeProcess, name: string): Promise<number> {
  const text = await (await fetch(`${worker.httpBase}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} on the worker's /metrics:\n${text}`);
  return Number(line.split(' ')[1]);
}

describe('the persistence worker killed -9', () => {
  test('every acknowledged message is stored once, and the other node delivers each once, in seq order', async () => {
    const c = await clusterWithWorker();
    const { srv, a, room, worker } = c;
    const { receiver, inbox, sender } = await receiverAndSender(c);
    const acknowledged: string[] = [];
    // A stream of sends, each retried with its clientMessageId until acknowledged, while the
    // worker dies and comes back under it.
    const contents = Array.from({ length: 40 }, (_, i) => `w${i + 1}`);
    const sending = (async () => {
      for (const content of contents) {
        await sendUntilAcknowledged(sender, room.chatId, content, { attempts: 40, timeoutMs: 8000 });
        acknowledged.push(content);
      }
    })();
    await pollUntil('some sends acknowledged', () => acknowledged.length >= 10 || undefined, 15_000);
    await worker.kill();
    await new Promise((res) => setTimeout(res, 500));
    await worker.start();
    await sending;
    assert.deepEqual(acknowledged, contents);
    await inbox.waitFor((m) => m.content === 'w40', 15_000);
    assert.deepEqual(inbox.items.map((m) => m.content), contents, 'each once, in seq order');
    assert.deepEqual(inbox.items.map((m) => m.seq), contents.map((_, i) => i + 1));
    assertDenseOnce(await history(a, room.chatId), contents);
    assert.ok(srv.running);
    await Promise.all([receiver.close(), sender.close()]);
  });
});

describe('no persistence worker', () => {
  test('a send is answered UNAVAILABLE in time, and its retry after the worker is back gets the one stored message', async () => {
    const { a, b, room, n1, worker } = await clusterWithWorker({ PARLEY_CLUSTER_VERDICT_TIMEOUT_MS: '2000' });
    await worker.stop();
    const s = await connectStomp(n1, b.accessToken);
    const started = Date.now();
    const r = await s.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: 'waiting', clientMessageId: 'c-wait' }, 8000);
    assert.equal(r.ok, false, 'no verdict, no RECEIPT');
    if (!r.ok) assert.equal(r.error.code, 'UNAVAILABLE');
    assert.ok(Date.now() - started >= 1500, 'answered after the verdict timeout');
    await worker.start();
    // The record was in Kafka all along: the worker applies it, and the retry is recognised.
    const id = await pollUntil('the retry acknowledged', async () => {
      const again = await s.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: 'waiting', clientMessageId: 'c-wait' }, 8000);
      return again.ok ? again.messageId : undefined;
    }, 20_000);
    const h = await history(a, room.chatId);
    assertDenseOnce(h, ['waiting']);
    assert.equal(h.length, 1);
    assert.equal(h[0].messageId, id);
    await s.close();
  });
});

describe('poison records', () => {
  test('go to the dead-letter topic with their reason, and the worker goes on', async () => {
    const { srv, a, room, worker } = await clusterWithWorker();
    const topic = srv.storage.PARLEY_CLUSTER_KAFKA_TOPIC!;
    const produce = (key: string, value: string) =>
      execFileSync('kcat', ['-P', '-b', bootstrap, '-t', topic, '-k', key], { input: value });
    produce(String(room.chatId), 'not json at all');
    produce(String(room.chatId), JSON.stringify({ v: 1, kind: 'erase', recordId: '01JF0000000000000000000001', origin: 'x', chatId: room.chatId }));
    const s = await connectStomp(srv, a.accessToken);
    const after = await s.sendMessage(room.chatId, 'behind the poison');
    assert.ok(after);
    const dead = await pollUntil('two dead letters', () => {
      const out = execFileSync('kcat', ['-C', '-b', bootstrap, '-t', `${topic}.dlq`, '-o', 'beginning', '-e', '-q', '-f', '%h\t%s\n'], { encoding: 'utf8' });
      const lines = out.split('\n').filter(Boolean);
      return lines.length >= 2 ? lines : undefined;
    }, 15_000);
    assert.match(dead[0]!, /reason=not JSON/);
    assert.match(dead[0]!, /not json at all/);
    assert.match(dead[1]!, /reason=kind is unknown/);
    assert.equal(await metric(worker, 'parley_persist_poison_total'), 2);
    assertDenseOnce(await history(a, room.chatId), ['behind the poison']);
    await s.close();
  });
});

describe('the Kafka broker killed -9 and restarted', () => {
  const kafka = privateEngine('kafka.sh');

  test('nothing is acknowledged while it is down, and every acknowledged message is stored and delivered once, in order', async () => {
    const address = kafka('start');
    const c = await clusterWithWorker({ PARLEY_CLUSTER_KAFKA: address, PARLEY_CLUSTER_VERDICT_TIMEOUT_MS: '3000' });
    const { a, room } = c;
    const { receiver, inbox, sender } = await receiverAndSender(c);
    const send = (content: string) => sendOnce(sender, room.chatId, content, 10_000);
    const contents = Array.from({ length: 20 }, (_, i) => `b${i + 1}`);
    for (const c of contents.slice(0, 5)) assert.ok((await send(c)).ok, `"${c}" before the kill`);
    kafka('kill');
    assertUnavailable(await Promise.all(contents.slice(5, 10).map(send)), 'while the broker is down');
    kafka('restart');
    // The client resends what was not acknowledged, with the same clientMessageIds, then goes on.
    for (const c of contents.slice(5)) {
      await pollUntil(`"${c}" acknowledged after the restart`, async () => ((await send(c)).ok ? true : undefined), 60_000);
    }
    await inbox.waitFor((m) => m.content === 'b20', 20_000);
    // Sends that were never acknowledged have no order among themselves: a record Kafka took
    // late may land after the resend of an earlier one. Acknowledged ones keep theirs, and every
    // subscriber sees the one order of history.
    const h = await history(a, room.chatId);
    assertDenseOnce(h, contents);
    assert.equal(h.length, contents.length);
    assert.deepEqual(inbox.items.map((m) => m.messageId), h.map((m) => m.messageId), 'each once, in seq order');
    const order = h.map((m) => m.content);
    assert.deepEqual(order.slice(0, 5), contents.slice(0, 5), 'acknowledged before the kill: first, in order');
    assert.deepEqual(order.slice(10), contents.slice(10), 'sent after the restart: in order');
    await Promise.all([receiver.close(), sender.close()]);
  });
});

describe('MariaDB killed -9 under the worker', () => {
  const mariadb = privateEngine('mariadb.sh');

  test('the worker retries in order until it is back: each record stored once, in the order sent', async () => {
    const dsn = new URL(mariadb('start'));
    dsn.pathname = '/kafka_log_outage';
    const c = await clusterWithWorker({
      PARLEY_STORAGE_MARIADB_DSN: dsn.toString(),
      PARLEY_CLUSTER_VERDICT_TIMEOUT_MS: '2000',
    });
    const { a, room, worker } = c;
    const { receiver, inbox, sender } = await receiverAndSender(c);
    const send = (content: string) => sendOnce(sender, room.chatId, content, 10_000);
    const contents = Array.from({ length: 15 }, (_, i) => `m${i + 1}`);
    for (const c of contents.slice(0, 5)) assert.ok((await send(c)).ok, `"${c}" before the kill`);
    mariadb('kill');
    // The records reach Kafka; the worker cannot write them, so no verdict comes in time.
    assertUnavailable(await Promise.all(contents.slice(5, 10).map(send)), 'while the database is down');
    await pollUntil('the worker retrying', async () => ((await metric(worker, 'parley_persist_retries_total')) > 0 ? true : undefined), 10_000);
    assert.ok(sender.connected && receiver.connected, 'an outage closes no session');
    mariadb('restart');
    for (const c of contents.slice(5)) {
      await pollUntil(`"${c}" acknowledged after the restart`, async () => ((await send(c)).ok ? true : undefined), 60_000);
    }
    await inbox.waitFor((m) => m.content === 'm15', 20_000);
    const h = await history(a, room.chatId);
    assertDenseOnce(h, contents);
    assert.deepEqual(h.map((m) => m.content), contents, 'the order they were sent: no record skipped or reordered');
    assert.deepEqual(inbox.items.map((m) => m.messageId), h.map((m) => m.messageId), 'each once, in seq order');
    await Promise.all([receiver.close(), sender.close()]);
  });
});
