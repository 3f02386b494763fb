// Operations endpoints and shutdown.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRoom, registerMany, show, startServer, stopServer, type ParleyServer, type TestUser } from './harness.ts';
import { connectStomp, RawStomp } from './stomp.ts';
import { withTimeout } from './util.ts';

let srv: ParleyServer;

before(async () => {
  srv = await startServer();
});
after(() => stopServer(srv));

describe('operations endpoints', () => {
  test('/healthz and /readyz answer 200 without a token', async () => {
    for (const p of ['/healthz', '/readyz']) {
      const r = await srv.api().get(p);
      assert.equal(r.status, 200, `${p}: ${show(r)}`);
    }
  });

  test('/metrics is Prometheus text without a token, and counts activity', async () => {
    const [a, b] = (await registerMany(srv.api(), 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const s = await connectStomp(srv, a.accessToken);
    await s.sendMessage(room.chatId, 'for the metrics');
    const r = await srv.api().get('/metrics');
    assert.equal(r.status, 200, show(r));
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(r.text, /^# (HELP|TYPE) /m, 'has HELP/TYPE lines');
    const samples = r.text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.ok(samples.length > 0, 'has samples');
    for (const line of samples) {
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)( -?\d+)?$/, `valid sample line: ${line}`);
    }
    assert.ok(!r.text.includes(a.accessToken), 'no tokens in metrics');
    await s.close();
  });
});

describe('shutdown', () => {
  test('SIGTERM drains: each client gets ERROR SERVER_SHUTDOWN, then the close, and the server exits 0', async () => {
    const own = await startServer();
    try {
      const [a, b, c] = (await registerMany(own.api(), 3)) as [TestUser, TestUser, TestUser];
      await createRoom(a, [b, c]);
      const s = await connectStomp(own, a.accessToken);
      const viaSockJs = await connectStomp(own, c.accessToken, { transport: 'sockjs', sockjsTransports: ['xhr-streaming'] });
      const { raw } = await RawStomp.connect(own, b.accessToken);
      const exit = await own.stop({ closeClients: false });
      assert.equal(exit.code, 0, `exit code: ${JSON.stringify(exit)}\n${own.logTail()}`);
      const rawError = await raw.waitFrame('ERROR', () => true, 2000);
      assert.equal(rawError.headers['code'], 'SERVER_SHUTDOWN');
      assert.equal((await raw.waitClosed(2000)).code, 1001, 'WebSocket close 1001 (going away)');
      for (const client of [s, viaSockJs]) {
        await withTimeout(client.closed, 2000, `${client.label} to see the close`);
        assert.equal(client.stompErrors.items[0]?.headers['code'], 'SERVER_SHUTDOWN', client.label);
      }
    } finally {
      await stopServer(own);
    }
  });
});
