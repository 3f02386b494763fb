// What the cluster fault suites share: a two-node cluster per test with two users in a room, the
// room's history, and a private engine (Redis, Kafka, MariaDB) that a test may kill.
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
