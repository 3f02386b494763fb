// Hostile and sloppy HTTP input. Each case gets a clear 4xx (JSON error body where there is a
// body at all), never a 5xx, a hang or a crash: after every test the server still answers /healthz.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { createRoom, register, show, startServer, stopServer, type Api, type ParleyServer, type TestUser } from './harness.ts';
import { ISO_UTC_RE, withTimeout } from './util.ts';

let srv: ParleyServer;
let anon: Api;
let user: TestUser;
let other: TestUser;
let room: any;
let firstMessageId: string;

before(async () => {
  srv = await startServer();
  anon = srv.api();
  user = await register(anon);
  other = await register(anon);
  room = await createRoom(user, [other]);
  const m = await user.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 'first' });
  assert.equal(m.status, 201, show(m));
  firstMessageId = m.json.messageId;
});
after(() => stopServer(srv));
afterEach(async () => {
  assert.ok(srv.running, `the server process is still running\n${srv.logTail()}`);
  const h = await anon.get('/healthz');
  assert.equal(h.status, 200, `still healthy: ${show(h)}`);
});

function assertJsonError(r: { status: number; json: any; text: string }, status: number | number[], what: string): void {
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  assert.ok(ok, `${what}: expected ${status}, got ${show(r as any)}`);
  assert.equal(typeof r.json, 'object', `${what}: JSON error body, got ${r.text.slice(0, 200)}`);
  assert.equal(r.json.status, r.status, `${what}: body.status`);
  assert.equal(typeof r.json.message, 'string', `${what}: body.message`);
  assert.match(String(r.json.timestamp), ISO_UTC_RE, `${what}: body.timestamp`);
}

interface RawResponse {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** A request that tolerates the server answering early and closing (e.g. 413 before reading all). */
function rawRequest(opts: { method?: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string; chunked?: boolean }): Promise<RawResponse> {
  return withTimeout(
    new Promise<RawResponse>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: srv.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, agent: false,
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      });
      req.on('error', (e) => reject(e));
      if (opts.body !== undefined) {
        if (opts.chunked) {
          const buf = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
          for (let i = 0; i < buf.length; i += 64 * 1024) req.write(buf.subarray(i, i + 64 * 1024));
        } else {
          req.write(opts.body);
        }
      }
      req.end();
    }),
    10_000,
    `response to ${opts.method ?? 'GET'} ${opts.path.slice(0, 60)}`,
  );
}

function parse(r: RawResponse): { status: number; json: any; text: string } {
  let json: any;
  try {
    json = JSON.parse(r.text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text: r.text };
}

describe('malformed bodies', () => {
  const targets = () => [
    { method: 'POST', path: '/auth/register', token: undefined },
    { method: 'POST', path: '/auth/login', token: undefined },
    { method: 'PATCH', path: '/users/me', token: user.accessToken },
    { method: 'POST', path: '/chat/rooms', token: user.accessToken },
    { method: 'POST', path: `/chat/rooms/${room.chatId}/messages`, token: user.accessToken },
    { method: 'POST', path: '/chat/user-status/batch', token: user.accessToken },
    { method: 'POST', path: '/storage/presigned-url', token: user.accessToken },
  ];
  const bodies: [string, string | Uint8Array][] = [
    ['a truncated object', '{"username": "x", '],
    ['a trailing comma', '{"username": "x",}'],
    ['a bare word', 'nul'],
    ['single quotes', "{'username': 'x'}"],
    ['an unterminated string', '{"username": "x'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['a lone surrogate escape', '{"fullName": "\\ud800"}'],
    ['trailing garbage', '{"a":1} xyz'],
    ['an empty body', ''],
  ];
  test('malformed JSON is 400 with {timestamp, status, message}', async () => {
    for (const t of targets()) {
      for (const [what, body] of bodies) {
        const r = await anon.withToken(t.token).request(t.method, t.path, { raw: body });
        // A lone surrogate may be accepted and replaced; every other case is a 400.
        if (what === 'a lone surrogate escape' && r.status < 500 && r.status !== 400) continue;
        assertJsonError(r, 400, `${t.method} ${t.path} with ${what}`);
      }
    }
  });

  test('JSON nested 40 deep is 400; 100 000 deep is 400 too (no stack overflow)', async () => {
    for (const depth of [40, 100_000]) {
      const deep = '['.repeat(depth) + ']'.repeat(depth);
      for (const raw of [`{"bio": ${deep}}`, deep]) {
        const r = await user.api.request('PATCH', '/users/me', { raw });
        assertJsonError(r, 400, `depth ${depth}`);
      }
      const reg = await anon.request('POST', '/auth/register', { raw: `{"username": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}` });
      assertJsonError(reg, 400, `register depth ${depth}`);
    }
  });

  test('a body over 1 MiB is 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ fullName: 'Big', username: 'big_body', email: 'big@example.com', password: 'Sup3r$ecret', bio: 'x'.repeat(1024 * 1024 + 10) });
    const withLen = await rawRequest({
      method: 'POST', path: '/auth/register', body: big, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(big) },
    });
    assert.equal(withLen.status, 413, `with Content-Length: ${withLen.status} ${withLen.text.slice(0, 200)}`);
    const chunked = await rawRequest({
      method: 'POST', path: '/chat/rooms', body: big, chunked: true,
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', Authorization: `Bearer ${user.accessToken}` },
    });
    assert.equal(chunked.status, 413, `chunked: ${chunked.status} ${chunked.text.slice(0, 200)}`);
    const declared = await rawRequest({
      method: 'PATCH', path: '/users/me', body: '{}',
      headers: { 'Content-Type': 'application/json', 'Content-Length': 50 * 1024 * 1024, Authorization: `Bearer ${user.accessToken}` },
    }).catch((e: Error) => ({ status: -1, text: e.message, headers: {} }));
    assert.ok(declared.status === 413 || declared.status === 400, `a declared 50 MiB body: ${declared.status} ${declared.text.slice(0, 100)}`);
    // Just under the limit is not a 413 (it is a 400 for the long bio).
    const under = JSON.stringify({ bio: 'y'.repeat(1024 * 1024 - 100) });
    const r = await user.api.request('PATCH', '/users/me', { raw: under });
    assert.notEqual(r.status, 413, 'a body under 1 MiB is read');
    assert.ok(r.status === 400, show(r));
  });

  test('a JSON endpoint given another content type is 400 or 415, not a crash', async () => {
    const r = await anon.request('POST', '/auth/login', { raw: 'username=a&password=b', contentType: 'application/x-www-form-urlencoded' });
    assertJsonError(r, [400, 415], 'form body');
  });
});

describe('wrong types and unknown routes', () => {
  test('unknown routes are 404 with a JSON body', async () => {
    for (const [api, method, p] of [
      [anon, 'GET', '/definitely/not/here'],
      [anon, 'POST', '/auth/nope'],
      [user.api, 'GET', '/chat/nope'],
      [user.api, 'GET', '/users/me/extra/segments'],
      [user.api, 'GET', '/chat/rooms/1/unknown'],
    ] as const) {
      const r = await api.request(method, p);
      assertJsonError(r, 404, `${method} ${p}`);
    }
  });

  test('a known path with the wrong method is 404 or 405 with a JSON body', async () => {
    for (const [method, p] of [['DELETE', '/auth/login'], ['PUT', '/users/search?q=a'], ['GET', '/auth/register']] as const) {
      const r = await user.api.request(method, p);
      assertJsonError(r, [404, 405], `${method} ${p}`);
    }
  });

  test('wrong types in fields are 400 with errors[field]', async () => {
    const reg = await anon.post('/auth/register', { username: 123, password: true, email: ['a@b.co'], fullName: { x: 1 }, bio: 7 });
    assertJsonError(reg, 400, 'register');
    for (const f of ['username', 'password', 'email', 'fullName', 'bio']) assert.ok(reg.json.errors?.[f], `errors.${f}: ${reg.text}`);
    const login = await anon.post('/auth/login', { username: ['a'], password: 1 });
    assertJsonError(login, [400, 401], 'login');
    const patch = await user.api.patch('/users/me', { bio: 5 });
    assertJsonError(patch, 400, 'patch');
    assert.ok(patch.json.errors?.bio, patch.text);
    const createRoomBad = await user.api.post('/chat/rooms', { type: 'PRIVATE', name: 5, description: 'd', memberIds: other.userId });
    assertJsonError(createRoomBad, 400, 'create room');
    assert.ok(createRoomBad.json.errors?.name || createRoomBad.json.errors?.memberIds, createRoomBad.text);
    const msg = await user.api.post(`/chat/rooms/${room.chatId}/messages`, { content: 42 });
    assertJsonError(msg, 400, 'message');
    assert.ok(msg.json.errors?.content, msg.text);
    const member = await user.api.post(`/chat/rooms/${room.chatId}/members`, { userId: 12 });
    assertJsonError(member, 400, 'add member');
    const batch = await user.api.post('/chat/user-status/batch', [1, 2, 3]);
    assertJsonError(batch, 400, 'status batch of numbers');
    const top = await user.api.post('/chat/rooms', [1, 2]);
    assertJsonError(top, 400, 'an array where an object is expected');
  });

  test('page parameters: size 1000 is clamped; junk values are 400 or defaulted, never 5xx', async () => {
    const clamped = await user.api.get(`/chat/rooms/${room.chatId}/messages?size=1000`);
    assert.equal(clamped.status, 200, show(clamped));
    assert.equal(clamped.json.size, 100);
    const limit = await user.api.get(`/chat/rooms/${room.chatId}/messages?before=${firstMessageId}&limit=100000`);
    assert.equal(limit.status, 200, show(limit));
    for (const qs of ['page=-1', 'size=0', 'size=-5', 'size=abc', 'page=abc', 'page=99999999999999999999', 'size=1e3', `limit=-1&after=${firstMessageId}`]) {
      for (const p of [`/chat/rooms/${room.chatId}/messages?${qs}`, `/chat/rooms/my?${qs}`, `/users/search?q=a&${qs}`]) {
        const r = await user.api.get(p);
        assert.ok(r.status === 200 || r.status === 400, `${p}: ${show(r)}`);
        if (r.status === 400) assertJsonError(r, 400, p);
      }
    }
  });

  test('bug 20: bad ids and missing parameters are 4xx, never 500', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', '/chat/rooms/abc'],
      ['GET', '/chat/rooms/-1'],
      ['GET', '/chat/rooms/1.5'],
      ['GET', '/chat/rooms/99999999999999999999999999'],
      ['GET', '/chat/messages/not-a-ulid'],
      ['GET', `/chat/messages/${'Z'.repeat(26)}`],
      ['DELETE', `/chat/rooms/${room.chatId}/members/not-a-uuid`],
      ['PUT', `/chat/rooms/${room.chatId}/members/not-a-uuid/admin`, { admin: true }],
      ['GET', '/users/lookup'],
      ['GET', '/users/lookup?username='],
      ['GET', '/users/search'],
      ['GET', '/auth/exists'],
      ['POST', '/chat/user-status/batch', ['not-a-uuid']],
      ['GET', '/chat/rooms/%00'],
      ['GET', '/chat/rooms/%ZZ'],
      ['GET', '/users/lookup?username=%E0%A4%A'],
    ];
    for (const [method, p, body] of cases) {
      const r = await user.api.request(method, p, body === undefined ? {} : { body });
      assert.ok(r.status < 500, `${method} ${p}: ${show(r)}`);
      if (r.status >= 400) assertJsonError(r, r.status, `${method} ${p}`);
    }
  });
});

describe('oversized requests and raw sockets', () => {
  test('a huge query string is 4xx (414/400/431), not a crash', async () => {
    const r = await rawRequest({ path: `/users/search?q=${'a'.repeat(200_000)}`, headers: { Authorization: `Bearer ${user.accessToken}` } }).catch(
      (e: Error) => ({ status: -1, text: e.message, headers: {} }),
    );
    assert.ok(r.status === -1 || (r.status >= 400 && r.status < 500), `${r.status} ${r.text.slice(0, 100)}`);
    const mid = await user.api.get(`/users/search?q=${'a'.repeat(5000)}`);
    assert.equal(mid.status, 400, `q longer than 64: ${show(mid)}`);
  });

  test('huge headers or very many headers are 4xx (431/400), not a crash', async () => {
    for (const headers of [
      { 'X-Big': 'b'.repeat(200_000) },
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'])),
    ]) {
      const r = await rawRequest({ path: '/healthz', headers }).catch((e: Error) => ({ status: -1, text: e.message, headers: {} }));
      assert.ok(r.status === -1 || (r.status >= 400 && r.status < 500), `${r.status} ${r.text.slice(0, 100)}`);
    }
  });

  test('garbage on a raw socket gets 400 or a close; a half-sent request does not block others', async () => {
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1', () => s.write('GARBAGE NOT HTTP\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
      s.setTimeout(5000, () => s.destroy());
    });
    assert.ok(reply === '' || /^HTTP\/1\.[01] 4\d\d/.test(reply), `reply: ${reply.slice(0, 100)}`);
    // A client that sends half a request and stops.
    const half = net.connect(srv.port, '127.0.0.1', () => half.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
    try {
      const h = await anon.get('/healthz');
      assert.equal(h.status, 200, 'others are served while a request is half-sent');
    } finally {
      half.destroy();
    }
  });

  test('a Bearer token that is megabytes long or full of junk is 401 or 431', async () => {
    for (const tok of ['x'.repeat(60_000), 'a.b.c.d.e', '....', 'ey.ey.ey', '\u00e9\u00e8']) {
      const r = await rawRequest({ path: '/users/me', headers: { Authorization: `Bearer ${encodeURIComponent(tok)}` } }).catch(
        (e: Error) => ({ status: -1, text: e.message, headers: {} }),
      );
      assert.ok(r.status === 401 || r.status === 431 || r.status === 400, `${tok.slice(0, 10)}: ${r.status} ${r.text.slice(0, 100)}`);
      if (r.status === 401) assertJsonError(parse(r), 401, 'junk token');
    }
  });
});
