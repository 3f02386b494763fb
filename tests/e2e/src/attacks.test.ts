// Attacks on a running server, each tried the way an attacker would (raw HTTP where a real client
// library would not cooperate) and each asserting that the attack gains nothing while the victim
// keeps working.
//
// SockJS session hijack: the session id of the HTTP transports travels in every URL
// (`/ws/{server}/{session}/xhr_send`), so logs, proxies and shared machines learn it. Knowing it
// must not let anyone else send as the session's user or read its frames: a session is bound to
// the client that opened it (its cookie when it has a cookie jar, else its address).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  createRoom, registerMany, show, startServer, stopServer,
  type Api, type ParleyServer, type TestUser,
} from './harness.ts';
import { connectStomp, encodeFrame, parseFrames } from './stomp.ts';
import { rand } from './util.ts';

let srv: ParleyServer;
let anon: Api;

before(async () => {
  srv = await startServer();
  anon = srv.api();
});
after(async () => {
  await stopServer(srv);
});

// Every 127.0.0.0/8 address is this machine's loopback, so a client bound to 127.0.0.2 is "another
// address" to the server without leaving the host.
const ATTACKER_ADDRESS = '127.0.0.2';
const COOKIE = 'parley_sockjs';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One POST to a SockJS leg, from `localAddress`, with the given cookie header (if any). */
function sockjsPost(
  sessionId: string,
  leg: 'xhr' | 'xhr_send' | 'xhr_streaming',
  opts: { body?: string; localAddress?: string; cookie?: string; forwardedFor?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain;charset=UTF-8' };
    if (opts.cookie !== undefined) headers['Cookie'] = opts.cookie;
    if (opts.forwardedFor !== undefined) headers['X-Forwarded-For'] = opts.forwardedFor;
    const req = http.request(
      {
        host: '127.0.0.1',
        port: srv.port,
        method: 'POST',
        path: `/ws/000/${sessionId}/${leg}`,
        headers,
        localAddress: opts.localAddress ?? '127.0.0.1',
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          // A streaming leg never ends by itself; its first frame after the prelude is enough.
          if (leg === 'xhr_streaming' && /\n[oac]/.test(body)) req.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${leg} timed out`)));
    req.on('error', reject);
    req.end(opts.body ?? '');
  });
}

/** `["<frame>"]`: STOMP frames as sockjs-client sends them in one xhr_send. */
function sockjsBody(...frames: string[]): string {
  return JSON.stringify(frames);
}

/** The STOMP frames in the `a[...]` SockJS frames of a receiving response. */
function stompFramesOf(body: string) {
  const out = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith('a[')) continue;
    for (const s of JSON.parse(line.slice(1)) as string[]) out.push(...parseFrames(s).frames);
  }
  return out;
}

function bindingCookie(res: RawResponse): string | undefined {
  const set = res.headers['set-cookie'] ?? [];
  const mine = set.find((c) => c.startsWith(`${COOKIE}=`));
  return mine;
}

function sessionId(): string {
  return `s${rand(15)}`;
}

async function pairInRoom() {
  const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
  const room = await createRoom(a, [b]);
  return { a, b, room };
}

async function historyContents(u: TestUser, chatId: number): Promise<string[]> {
  const r = await u.api.get(`/chat/rooms/${chatId}/messages?size=100`);
  assert.equal(r.status, 200, show(r));
  return r.json.content.map((m: any) => m.content);
}

describe('SockJS session hijack', () => {
  test('xhr_send from another address with a victim session id is refused and injects nothing', async () => {
    const { a, b, room } = await pairInRoom();
    const sid = sessionId();
    const victim = await connectStomp(srv, b.accessToken, {
      transport: 'sockjs', sockjsTransports: ['xhr-streaming'], sockjsSessionId: sid,
    });
    const watcher = await connectStomp(srv, a.accessToken);
    const seen = await watcher.subscribe(`/topic/rooms/${room.chatId}`);

    const forged = sockjsBody(encodeFrame('SEND', { destination: '/app/chat.sendMessage', 'content-type': 'application/json' },
      JSON.stringify({ chatRoomId: room.chatId, content: 'forged by the attacker' })));
    const attempt = await sockjsPost(sid, 'xhr_send', { body: forged, localAddress: ATTACKER_ADDRESS });
    assert.equal(attempt.status, 404, `the attacker's xhr_send is refused: HTTP ${attempt.status} ${attempt.body}`);
    // Same answer as for a session that does not exist: no oracle for valid ids.
    const unknown = await sockjsPost(sessionId(), 'xhr_send', { body: forged, localAddress: ATTACKER_ADDRESS });
    assert.equal(unknown.status, attempt.status);
    assert.equal(unknown.body, attempt.body);
    // Claiming the victim's address in X-Forwarded-For: ignored from a client, and behind a trusted
    // load balancer only the line the balancer adds (the attacker's real address) is believed.
    const claimed = await sockjsPost(sid, 'xhr_send', { body: forged, localAddress: ATTACKER_ADDRESS, forwardedFor: '127.0.0.1' });
    assert.equal(claimed.status, 404, `a forged X-Forwarded-For does not help: HTTP ${claimed.status} ${claimed.body}`);

    // The victim still sends; once its marker is seen, a forged message would have been seen first.
    const marker = await victim.sendMessage(room.chatId, 'marker from the victim');
    await seen.waitFor((m) => m.messageId === marker);
    assert.deepEqual(seen.filter((m) => m.content === 'forged by the attacker'), [], 'nothing fanned out');
    assert.deepEqual(await historyContents(a, room.chatId), ['marker from the victim'], 'nothing stored');
    await Promise.all([victim.close(), watcher.close()]);
  });

  test('a receiving request from another address with a victim session id gets nothing and takes nothing', async () => {
    const { a, b, room } = await pairInRoom();
    const sid = sessionId();
    const victim = await connectStomp(srv, b.accessToken, {
      transport: 'sockjs', sockjsTransports: ['xhr-polling'], sockjsSessionId: sid,
    });
    const inbox = await victim.subscribe(`/topic/rooms/${room.chatId}`);
    const sender = await connectStomp(srv, a.accessToken);
    for (const leg of ['xhr', 'xhr_streaming'] as const) {
      const steal = sockjsPost(sid, leg, { localAddress: ATTACKER_ADDRESS });
      const id = await sender.sendMessage(room.chatId, `for the victim only (${leg})`);
      const got = await steal;
      assert.equal(got.status, 404, `the attacker's ${leg} is refused: HTTP ${got.status} ${got.body.slice(0, 200)}`);
      assert.ok(!got.body.includes('for the victim only'), 'no frame leaks to the attacker');
      const m = await inbox.waitFor((x) => x.messageId === id);
      assert.equal(m.content, `for the victim only (${leg})`, 'the victim still gets its message');
    }
    assert.equal(victim.connected, true, 'the victim session is undisturbed');
    await Promise.all([victim.close(), sender.close()]);
  });

  test('a session opened by a client with a cookie jar is bound to its cookie, not its address', async () => {
    const { b } = await pairInRoom();
    const sid = sessionId();
    // Opening: the server hands the browser its binding cookie.
    const open = await sockjsPost(sid, 'xhr');
    assert.equal(open.status, 200, open.body);
    assert.equal(open.body, 'o\n');
    const setCookie = bindingCookie(open);
    assert.ok(setCookie, `Set-Cookie ${COOKIE} on the opening response: ${JSON.stringify(open.headers)}`);
    assert.match(setCookie!, /;\s*HttpOnly/i);
    assert.match(setCookie!, /;\s*SameSite=Strict/i);
    assert.match(setCookie!, /;\s*Path=\/ws(;|$)/);
    const cookie = setCookie!.split(';')[0]!;
    assert.match(cookie, new RegExp(`^${COOKIE}=[0-9a-f]{32}$`), 'a 128-bit random key');

    // The browser's next request carries the cookie: the session is now bound to it.
    const connect = sockjsBody(encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'parley', Authorization: `Bearer ${b.accessToken}` }));
    const sent = await sockjsPost(sid, 'xhr_send', { body: connect, cookie });
    assert.equal(sent.status, 204, sent.body);
    const poll = await sockjsPost(sid, 'xhr', { cookie });
    assert.equal(poll.status, 200);
    assert.deepEqual(stompFramesOf(poll.body).map((f) => f.command), ['CONNECTED']);

    // From then on the same address without the cookie, or with another key, is somebody else.
    const heartbeat = sockjsBody('\n');
    for (const other of [undefined, `${COOKIE}=${'0'.repeat(32)}`, `${COOKIE}=`, 'other=1']) {
      const r = await sockjsPost(sid, 'xhr_send', { body: heartbeat, cookie: other });
      assert.equal(r.status, 404, `cookie ${other}: HTTP ${r.status}`);
      const p = await sockjsPost(sid, 'xhr', { cookie: other, timeoutMs: 10_000 });
      assert.equal(p.status, 404, `receiving with cookie ${other}: HTTP ${p.status}`);
    }
    // The key among other cookies, from another address (a phone changing networks), still works.
    const moved = await sockjsPost(sid, 'xhr_send', { body: heartbeat, cookie: `theme=dark; ${cookie}; x=y`, localAddress: ATTACKER_ADDRESS });
    assert.equal(moved.status, 204, moved.body);
  });

  test('a session opened with the cookie already set is bound to it from the first request', async () => {
    const first = await sockjsPost(sessionId(), 'xhr');
    const cookie = bindingCookie(first)!.split(';')[0]!;
    const sid = sessionId();
    const open = await sockjsPost(sid, 'xhr', { cookie });
    assert.equal(open.status, 200);
    assert.equal(bindingCookie(open), undefined, 'a browser keeps its key: no new Set-Cookie');
    const r = await sockjsPost(sid, 'xhr_send', { body: sockjsBody('\n') });
    assert.equal(r.status, 404, 'no cookie, same address: refused');
    const ok = await sockjsPost(sid, 'xhr_send', { body: sockjsBody('\n'), cookie });
    assert.equal(ok.status, 204);
  });
});
