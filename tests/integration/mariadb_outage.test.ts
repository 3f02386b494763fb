// Parley on MariaDB when the database is missing at start, or dies and comes back while serving.
// The suite owns its MariaDB (scripts/mariadb.sh in a temporary directory) because it kills it.
// Properties: a start without a reachable database fails at once with exit 69 (EX_UNAVAILABLE)
// and a message naming the server but never the password; while the database is down every
// request that needs it gets a 503 JSON (REST) or an UNAVAILABLE error event (STOMP) and no
// RECEIPT, sessions stay open, and when it is back the node serves again by itself: nothing
// acknowledged is lost, a retried clientMessageId is stored once, and seq stays dense.
// Run with `npm run test:mariadb` in tests/e2e (scripts/test.sh does).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createRoom, freePort, parleyBin, registerMany, repoRoot, show, startServer, stopServer,
  type ParleyServer, type TestUser,
} from '../e2e/src/harness.ts';
import { connectStomp } from '../e2e/src/stomp.ts';
import { pollUntil, uniqueName } from '../e2e/src/util.ts';

const script = path.join(repoRoot, 'scripts', 'mariadb.sh');
const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-mariadb-outage-'));
let serverDsn = '';

function mariadb(cmd: 'start' | 'stop' | 'kill' | 'restart'): string {
  return execFileSync(script, [cmd, dir], { encoding: 'utf8' }).trim();
}

/** The test server's DSN with a database of our own. */
function dsnFor(database: string, password?: string): string {
  const u = new URL(serverDsn);
  u.pathname = `/${database}`;
  if (password !== undefined) u.password = password;
  return u.toString();
}

/** Runs `parley serve` expecting it to exit by itself; returns its exit code and output. */
function serveUntilExit(dsn: string): Promise<{ code: number | null; output: string }> {
  const data = mkdtempSync(path.join(os.tmpdir(), 'parley-mariadb-start-'));
  return new Promise((resolve, reject) => {
    const child = spawn(parleyBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', data], {
      env: { ...process.env, PARLEY_STORAGE_BACKEND: 'mariadb', PARLEY_STORAGE_MARIADB_DSN: dsn },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b) => (output += b));
    child.stderr.on('data', (b) => (output += b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley kept running without its database: ${output}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(data, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

before(() => {
  serverDsn = mariadb('start');
});
after(() => {
  try {
    mariadb('stop');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('MariaDB at start', () => {
  test('no server listening: exit 69 at once, naming the server, never the password', async () => {
    const password = `pw${uniqueName('x')}`;
    const port = await freePort();
    const { code, output } = await serveUntilExit(`mariadb://parley:${password}@127.0.0.1:${port}/parley`);
    assert.equal(code, 69, output);
    assert.match(output, /cannot reach the MariaDB store/, output);
    assert.match(output, new RegExp(`127\\.0\\.0\\.1:${port}`), output);
    assert.ok(!output.includes(password), `the password leaked: ${output}`);
  });

  test('a wrong password: exit 1 with the server\'s refusal, and the password not printed', async () => {
    const password = `wrong${uniqueName('x')}`;
    const { code, output } = await serveUntilExit(dsnFor('parley_wrong_pw', password));
    assert.equal(code, 1, output);
    assert.match(output, /cannot open the MariaDB store.*Access denied/s, output);
    assert.ok(!output.includes(password), `the password leaked: ${output}`);
  });
});

describe('MariaDB outage while serving', () => {
  let srv: ParleyServer;
  let a: TestUser;
  let b: TestUser;
  before(async () => {
    srv = await startServer({
      env: { PARLEY_STORAGE_BACKEND: 'mariadb', PARLEY_STORAGE_MARIADB_DSN: dsnFor(`outage_${uniqueName('db').replace(/\W/g, '_')}`) },
    });
    [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
  });
  after(() => stopServer(srv));

  test('kill -9 of the database: 503 and UNAVAILABLE, no RECEIPT, sessions survive; back by itself with nothing lost', async () => {
    const room = await createRoom(a, [b], 'PRIVATE');
    const alice = await connectStomp(srv, a.accessToken);
    const bob = await connectStomp(srv, b.accessToken);
    const live = await bob.subscribe<any>(`/topic/rooms/${room.chatId}`);
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) acked.push(await alice.sendMessage(room.chatId, `before ${i}`, { clientMessageId: `before-${i}` }));

    mariadb('kill');

    const history = await a.api.get(`/chat/rooms/${room.chatId}/messages`);
    assert.equal(history.status, 503, show(history));
    assert.equal(history.json?.status, 503, show(history));
    assert.equal(history.headers.get('retry-after'), '1', 'Retry-After on a 503');
    const rest = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'over REST, during', clientMessageId: 'rest-during' });
    assert.equal(rest.status, 503, show(rest));
    // Not "wrong password": a login the database cannot check is unavailable, not refused.
    const login = await srv.api().post('/auth/login', { username: a.username, password: a.password });
    assert.equal(login.status, 503, show(login));

    const during = await alice.send('/app/chat.sendMessage', { chatRoomId: room.chatId, content: 'during', clientMessageId: 'during' }, 20_000);
    assert.equal(during.ok, false, 'a SEND the database cannot store gets no RECEIPT');
    if (!during.ok) assert.equal(during.error.code, 'UNAVAILABLE', JSON.stringify(during.error));
    assert.ok(alice.connected && bob.connected, 'an outage closes no session');

    mariadb('restart');

    await pollUntil(
      'history served again after the database came back',
      async () => (await a.api.get(`/chat/rooms/${room.chatId}/messages`)).status === 200,
      30_000,
    );
    // The client retries what was refused, with the same clientMessageId: stored once.
    acked.push(await alice.sendMessage(room.chatId, 'during', { clientMessageId: 'during' }));
    const again = await alice.sendMessage(room.chatId, 'during', { clientMessageId: 'during' });
    assert.equal(again, acked[acked.length - 1], 'a second retry is recognised');
    const restAgain = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'over REST, during', clientMessageId: 'rest-during' });
    assert.equal(restAgain.status, 201, show(restAgain));
    acked.push(restAgain.json.messageId);

    const h = await a.api.get(`/chat/rooms/${room.chatId}/messages?size=100`);
    assert.equal(h.status, 200, show(h));
    const oldestFirst = [...h.json.content].reverse();
    assert.deepEqual(oldestFirst.map((m: any) => m.messageId), acked, 'every acknowledged message, once, in order');
    assert.deepEqual(oldestFirst.map((m: any) => m.seq), [1, 2, 3, 4, 5, 6, 7], 'seq dense from 1');
    await live.waitForCount(acked.length, () => true, 10_000);
    assert.deepEqual(live.items.map((m) => m.messageId), acked, 'bob saw each acknowledged message live, once');
    await Promise.all([alice.close(), bob.close()]);
  });
});
