// What the cluster fault suites share: a two-node cluster per test with two users in a room, a
// receiver and a sender on different nodes, sends retried the way a client does, the room's
// history, the room's Kafka partition, and a private engine (Redis, Kafka, MariaDB) to kill.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import {
  createRoom, registerMany, repoRoot, show, startServer, stopServer,
  type NodeProcess, type ParleyServer, type TestUser,
} from '../e2e/src/harness.ts';
import { connectStomp, type SendResult, type StompSession } from '../e2e/src/stomp.ts';

const servers: ParleyServer[] = [];
after(async () => {
  for (const s of servers) await stopServer(s).catch(() => undefined);
});

/** Two nodes behind HAProxy, stopped after the suite. */
export async function cluster(env: Record<string, string> = {}): Promise<ParleyServer> {
  const srv = await startServer({ nodes: 2, env });
  servers.push(srv);
  return srv;
}

/** A cluster, two users in a room, and the two nodes (to connect to one directly). */
export async function clusterWithPair(env: Record<string, string> = {}) {
  const srv = await cluster(env);
  const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
  const room = await createRoom(a, [b]);
  const [n1, n2] = srv.nodes as [NodeProcess, NodeProcess];
  return { srv, a, b, room, n1, n2 };
}

/** User a subscribed to the room on node 2, and user b connected to node 1 to send to it. */
export async function receiverAndSender(c: Awaited<ReturnType<typeof clusterWithPair>>) {
  const receiver = await connectStomp(c.n2, c.a.accessToken);
  const inbox = await receiver.subscribe(`/topic/rooms/${c.room.chatId}`);
  const sender = await connectStomp(c.n1, c.b.accessToken);
  return { receiver, inbox, sender };
}

/** One SEND of `content` with clientMessageId `c-<content>`, so that a resend is recognised. */
export function sendOnce(s: StompSession, chatId: number, content: string, timeoutMs: number) {
  return s.send('/app/chat.sendMessage', { chatRoomId: chatId, content, clientMessageId: `c-${content}` }, timeoutMs);
}

/**
 * Sends `content` until acknowledged, as a client does: the same clientMessageId each time, 200 ms
 * apart, at most `attempts` times. Returns the message id and the retries it took.
 */
export async function sendUntilAcknowledged(
  s: StompSession, chatId: number, content: string, o: { attempts: number; timeoutMs: number },
): Promise<{ messageId: string; retries: number }> {
  for (let attempt = 1; ; attempt++) {
    assert.ok(attempt <= o.attempts, `"${content}" not acknowledged in ${o.attempts} attempts`);
    const r = await sendOnce(s, chatId, content, o.timeoutMs).catch(() => undefined);
    if (r?.ok) {
      assert.ok(r.messageId, `the RECEIPT for "${content}" names its message`);
      return { messageId: r.messageId, retries: attempt - 1 };
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Every send was refused UNAVAILABLE (`why`: the outage), none acknowledged. */
export function assertUnavailable(results: SendResult[], why: string): void {
  for (const r of results) {
    assert.equal(r.ok, false, `not acknowledged ${why}`);
    if (!r.ok) assert.equal(r.error.code, 'UNAVAILABLE');
  }
}

/** The partition the records keyed `key` went to, read back from the topic. */
export function partitionOfKey(bootstrap: string, topic: string, key: string): number {
  const out = execFileSync('kcat',
    ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k %p\\n'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const found = new Set(out.split('\n').filter((l) => l.startsWith(`${key} `))
    .map((l) => Number(l.split(' ')[1])));
  assert.equal(found.size, 1, `the records keyed ${key} in one partition:\n${out}`);
  return [...found][0]!;
}

/** The room's whole history, oldest first. */
export async function history(u: TestUser, chatId: number): Promise<any[]> {
  const r = await u.api.get(`/chat/rooms/${chatId}/messages?size=1000`);
  assert.equal(r.status, 200, show(r));
  return [...r.json.content].sort((x: any, y: any) => x.seq - y.seq);
}

export function assertDenseOnce(msgs: any[], contents: string[]): void {
  assert.deepEqual(msgs.map((m) => m.seq), msgs.map((_, i) => i + 1), 'seq dense from 1');
  for (const c of contents) assert.equal(msgs.filter((m) => m.content === c).length, 1, `"${c}" stored once`);
}

/**
 * A throwaway engine for one suite, through its script (scripts/redis.sh, kafka.sh, mariadb.sh):
 * `engine('start')` prints its address (MariaDB: a DSN); kill and restart keep its data. Stopped
 * after the suite.
 */
export function privateEngine(script: 'redis.sh' | 'kafka.sh' | 'mariadb.sh'): (cmd: string) => string {
  const run = engineInTempDir(script, process.env);
  return (cmd) => run(cmd);
}

/**
 * A throwaway Kafka cluster of `brokers` brokers for one suite (`BROKERS=n scripts/kafka.sh`):
 * `kafka('start')` prints the bootstrap list; `kafka('kill', n)` and `kafka('restart', n)` address
 * broker n (its node.id) alone, without n every broker. Stopped after the suite.
 */
export function privateKafkaCluster(brokers: number): (cmd: string, broker?: number) => string {
  const run = engineInTempDir('kafka.sh', { ...process.env, BROKERS: String(brokers) });
  return (cmd, broker) => run(cmd, ...(broker ? [String(broker)] : []));
}

/** `scripts/<script> CMD DIR ARGS...` on a fresh DIR, stopped and removed after the suite. */
function engineInTempDir(script: string, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `parley-${script.replace('.sh', '')}-`));
  const bin = path.join(repoRoot, 'scripts', script);
  const run = (cmd: string, ...args: string[]) =>
    execFileSync(bin, [cmd, dir, ...args], { env, encoding: 'utf8' }).trim();
  after(() => {
    try {
      run('stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return run;
}
