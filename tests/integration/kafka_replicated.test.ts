// The cluster's Kafka log on a replicated Kafka (docs/adr/0007): two nodes behind HAProxy and one
// `parley persist` worker on a private cluster of three brokers (scripts/kafka.sh with BROKERS=3:
// replication factor 3, min.insync.replicas 2), which Parley's topics, created with the broker
// default, inherit.
// Property ("with 3 brokers, one broker killed: sends continue"): while a user streams sends,
// each retried with its clientMessageId until acknowledged, the broker leading the room's
// partition is killed -9; sends go on being acknowledged while it is down, within a bounded number
// of retries, and after it is back. Every acknowledged message is in history exactly once, seq
// dense, in the order sent, and a subscriber on the other node receives each once, in seq order.
// Needs PARLEY_E2E_MARIADB_DSN, PARLEY_E2E_REDIS and PARLEY_E2E_KAFKA (the harness asks for the
// last; this suite overrides it with its own brokers); `npm run test:kafka3` in tests/e2e.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { viaKafka } from '../e2e/src/harness.ts';
import {
  assertDenseOnce, clusterWithPair, history, partitionOfKey, privateKafkaCluster,
  receiverAndSender, sendUntilAcknowledged,
} from './cluster_support.ts';
import { pollUntil } from '../e2e/src/util.ts';

if (!viaKafka) {
  throw new Error('the replicated Kafka suite needs PARLEY_E2E_MARIADB_DSN, PARLEY_E2E_REDIS and '
    + 'PARLEY_E2E_KAFKA');
}

const BROKERS = 3;
/** Sends acknowledged with the broker down before it is restarted: the sends went on. */
const ACKED_WHILE_DOWN = 10;
/**
 * Attempts per send, each of up to SEND_TIMEOUT_MS. The kill stalls acks=all writes until the
 * controller fences the dead broker (broker.session.timeout.ms, 9 s by default) and its
 * partitions get new leaders; two or three attempts cover that.
 */
const MAX_ATTEMPTS = 6;
const SEND_TIMEOUT_MS = 8000;

interface PartitionMeta {
  partition: number;
  leader: number;
  replicas: { id: number }[];
  isrs: { id: number }[];
}

/** The topic's partitions as the brokers describe them (kcat -L -J). */
function partitions(bootstrap: string, topic: string): PartitionMeta[] {
  const out = execFileSync('kcat', ['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '5'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const t = JSON.parse(out).topics.find((x: any) => x.topic === topic);
  assert.ok(t && !t.error, `topic ${topic} in the metadata: ${out}`);
  return t.partitions;
}

describe('three brokers, the leader of the room\'s partition killed -9', () => {
  const kafka = privateKafkaCluster(BROKERS);

  test('sends continue while it is down and after it is back: each stored and delivered once, '
    + 'in order', async (t) => {
    const bootstrap = kafka('start');
    assert.equal(bootstrap.split(',').length, BROKERS, bootstrap);
    const c = await clusterWithPair({ PARLEY_CLUSTER_KAFKA: bootstrap });
    const { srv, a, room } = c;
    const topic = srv.storage.PARLEY_CLUSTER_KAFKA_TOPIC!;
    for (const p of partitions(bootstrap, topic)) {
      assert.equal(p.replicas.length, BROKERS, `partition ${p.partition}: replication factor 3`);
      assert.equal(p.isrs.length, BROKERS, `partition ${p.partition}: every replica in sync`);
    }
    const { receiver, inbox, sender } = await receiverAndSender(c);
    const acknowledged: string[] = [];
    let retries = 0;
    const contents = Array.from({ length: 40 }, (_, i) => `r${i + 1}`);
    const sending = (async () => {
      for (const content of contents) {
        retries += (await sendUntilAcknowledged(sender, room.chatId, content,
          { attempts: MAX_ATTEMPTS, timeoutMs: SEND_TIMEOUT_MS })).retries;
        acknowledged.push(content);
      }
    })();
    // A failed send fails the waits below at once, not at their deadlines.
    const unlessSendingFailed = <T>(p: Promise<T>) => Promise.race([p, sending.then(() => p)]);
    await unlessSendingFailed(pollUntil('some sends acknowledged',
      () => acknowledged.length >= 10 || undefined, 30_000));

    const partition = partitionOfKey(bootstrap, topic, String(room.chatId));
    const leader = partitions(bootstrap, topic).find((p) => p.partition === partition)!.leader;
    kafka('kill', leader);
    const killedAt = Date.now();
    const before = acknowledged.length;
    await unlessSendingFailed(pollUntil(`${ACKED_WHILE_DOWN} sends acknowledged with broker `
      + `${leader} down`, () => acknowledged.length >= before + ACKED_WHILE_DOWN || undefined,
    60_000));
    t.diagnostic(`broker ${leader} led partition ${partition}; ${ACKED_WHILE_DOWN} sends after `
      + `the kill took ${Date.now() - killedAt} ms, ${retries} retries so far`);
    const now = partitions(bootstrap, topic).find((p) => p.partition === partition)!;
    assert.notEqual(now.leader, leader, 'the partition has a new leader');
    assert.ok(!now.isrs.some((r) => r.id === leader), 'the dead broker left the ISR');
    kafka('restart', leader);
    await sending;
    t.diagnostic(`${retries} retries in all`);

    assert.deepEqual(acknowledged, contents);
    await inbox.waitFor((m) => m.content === contents.at(-1), 15_000);
    assert.deepEqual(inbox.items.map((m) => m.content), contents, 'each once, in seq order');
    assert.deepEqual(inbox.items.map((m) => m.seq), contents.map((_, i) => i + 1));
    const h = await history(a, room.chatId);
    assertDenseOnce(h, contents);
    assert.deepEqual(h.map((m) => m.content), contents, 'stored in the order acknowledged');
    assert.ok(srv.running, 'no node nor the worker died');
    await Promise.all([receiver.close(), sender.close()]);
  });
});
