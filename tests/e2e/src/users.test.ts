// /users/**: me, patch, lookup, search; and the 401 contract for missing or bad tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { register, show, startServer, stopServer, type Api, type ParleyServer } from './harness.ts';
import { hasKeys, ISO_UTC_RE, rand, uniqueName } from './util.ts';

let srv: ParleyServer;
let anon: Api;

before(async () => {
  srv = await startServer();
  anon = srv.api();
});
after(() => stopServer(srv));

const USER_KEYS = ['userId', 'username', 'email', 'fullName', 'avatar', 'bio'];
const PAGE_KEYS = ['content', 'totalElements', 'totalPages', 'size', 'number', 'last'];

describe('GET /users/me', () => {
  test('returns the caller with every field, absent optional ones as null', async () => {
    const u = await register(anon);
    const r = await u.api.get('/users/me');
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(hasKeys(r.json, USER_KEYS), [], `keys present: ${r.text}`);
    assert.equal(r.json.userId, u.userId);
    assert.equal(r.json.username, u.username);
    assert.equal(r.json.email, u.email);
    assert.equal(r.json.fullName, u.fullName);
    assert.equal(r.json.avatar, null);
    assert.equal(r.json.bio, null);
    assert.equal(r.json.password, undefined, 'no password field');
    assert.ok(!JSON.stringify(r.json).includes('argon2'), 'no hash leaked');
  });

  test('401 with a JSON body without a token, with a bad token, or a malformed header', async () => {
    const u = await register(anon);
    const cases: [string, Record<string, string>][] = [
      ['no token', {}],
      ['garbage token', { Authorization: 'Bearer garbage' }],
      ['three garbage segments', { Authorization: 'Bearer aaa.bbb.ccc' }],
      ['tampered signature', { Authorization: `Bearer ${u.accessToken.slice(0, -4)}AAAA` }],
      ['wrong scheme', { Authorization: `Basic ${u.accessToken}` }],
      ['empty bearer', { Authorization: 'Bearer ' }],
    ];
    for (const [what, headers] of cases) {
      const r = await anon.get('/users/me', { headers });
      assert.equal(r.status, 401, `${what}: ${show(r)}`);
      assert.equal(r.json?.status, 401, `${what}: JSON body ${r.text}`);
      assert.equal(typeof r.json?.message, 'string');
      assert.match(String(r.json?.timestamp), ISO_UTC_RE);
    }
  });

  test('bug 1: an X-User-Id header neither authenticates nor overrides the token', async () => {
    const a = await register(anon);
    const b = await register(anon);
    const noToken = await anon.get('/users/me', { headers: { 'X-User-Id': b.userId, 'X-Username': b.username } });
    assert.equal(noToken.status, 401, show(noToken));
    const spoof = await a.api.get('/users/me', { headers: { 'X-User-Id': b.userId, 'X-Username': b.username } });
    assert.equal(spoof.status, 200);
    assert.equal(spoof.json.userId, a.userId, 'identity comes from the token');
    const rooms = await anon.get('/chat/rooms/my', { headers: { 'X-User-Id': b.userId } });
    assert.equal(rooms.status, 401, show(rooms));
  });
});

describe('PATCH /users/me', () => {
  test('updates the given fields and returns the updated user', async () => {
    const u = await register(anon);
    const email = `${uniqueName('new')}@example.org`;
    const r = await u.api.patch('/users/me', { fullName: 'New Name', bio: 'new bio', avatar: 'http://127.0.0.1/media/x', email });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.userId, u.userId);
    assert.equal(r.json.fullName, 'New Name');
    assert.equal(r.json.bio, 'new bio');
    assert.equal(r.json.avatar, 'http://127.0.0.1/media/x');
    assert.equal(r.json.email, email);
    assert.equal(r.json.username, u.username, 'username unchanged');
    const me = await u.api.get('/users/me');
    assert.deepEqual(me.json, r.json, 'GET /users/me agrees');
    // Partial: only bio.
    const p = await u.api.patch('/users/me', { bio: 'only bio' });
    assert.equal(p.status, 200);
    assert.equal(p.json.bio, 'only bio');
    assert.equal(p.json.fullName, 'New Name', 'other fields kept');
  });

  test('400 when no field is given', async () => {
    const u = await register(anon);
    for (const body of [{}, { unknown: 'x' }]) {
      const r = await u.api.patch('/users/me', body);
      assert.equal(r.status, 400, show(r));
      assert.equal(r.json?.status, 400);
      assert.equal(typeof r.json?.message, 'string');
    }
  });

  test('409 when the email belongs to someone else', async () => {
    const a = await register(anon);
    const b = await register(anon);
    const r = await a.api.patch('/users/me', { email: b.email });
    assert.equal(r.status, 409, show(r));
    assert.equal(r.json?.status, 409);
    const me = await a.api.get('/users/me');
    assert.equal(me.json.email, a.email, 'unchanged after the conflict');
  });

  test('needs a token', async () => {
    const r = await anon.patch('/users/me', { bio: 'x' });
    assert.equal(r.status, 401);
  });
});

describe('GET /users/lookup', () => {
  test('finds a user; the email is shown only to its owner', async () => {
    const a = await register(anon);
    const b = await register(anon);
    const other = await a.api.get(`/users/lookup?username=${b.username}`);
    assert.equal(other.status, 200, show(other));
    assert.equal(other.json.userId, b.userId);
    assert.equal(other.json.username, b.username);
    assert.equal(other.json.fullName, b.fullName);
    assert.ok(other.json.email == null, `email hidden from others: ${other.text}`);
    assert.ok(!other.text.includes(b.email), 'email not anywhere in the body');
    const own = await b.api.get(`/users/lookup?username=${b.username}`);
    assert.equal(own.status, 200);
    assert.equal(own.json.email, b.email);
  });

  test('404 for an unknown username, 400 without one', async () => {
    const a = await register(anon);
    const r = await a.api.get(`/users/lookup?username=${uniqueName('nobody')}`);
    assert.equal(r.status, 404, show(r));
    assert.equal(r.json?.status, 404);
    const missing = await a.api.get('/users/lookup');
    assert.equal(missing.status, 400, show(missing));
  });
});

describe('GET /users/search', () => {
  test('q is required and 1–64 chars', async () => {
    const a = await register(anon);
    for (const qs of ['', '?q=', `?q=${'x'.repeat(65)}`]) {
      const r = await a.api.get(`/users/search${qs}`);
      assert.equal(r.status, 400, `${qs.slice(0, 20)}: ${show(r)}`);
      assert.equal(r.json?.status, 400);
    }
    const ok64 = await a.api.get(`/users/search?q=${'x'.repeat(64)}`);
    assert.equal(ok64.status, 200, show(ok64));
    const ok1 = await a.api.get(`/users/search?q=x`);
    assert.equal(ok1.status, 200, show(ok1));
  });

  test('case-insensitive substring of username or fullName, excluding the caller', async () => {
    const tag = rand(8);
    const caller = await register(anon, { username: `srch_${tag}_me`, fullName: `Caller ${tag}` });
    const byName = await register(anon, { username: `Zed_${tag.toUpperCase()}_x` });
    const byFull = await register(anon, { fullName: `Ann ${tag.toUpperCase()} Lee` });
    await register(anon); // unrelated
    const r = await caller.api.get(`/users/search?q=${tag}`);
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(hasKeys(r.json, PAGE_KEYS), [], `page shape: ${r.text}`);
    const ids = r.json.content.map((x: any) => x.userId).sort();
    assert.deepEqual(ids, [byName.userId, byFull.userId].sort(), `matches: ${r.text}`);
    for (const item of r.json.content) {
      assert.deepEqual(hasKeys(item, ['userId', 'username', 'fullName', 'avatar']), []);
      assert.equal(item.email, undefined, 'search results carry no email');
    }
    assert.equal(r.json.totalElements, 2);
    assert.equal(r.json.number, 0);
    assert.equal(r.json.last, true);
    // Upper-case query finds the same.
    const upper = await caller.api.get(`/users/search?q=${tag.toUpperCase()}`);
    assert.equal(upper.json.totalElements, 2);
    // A substring in the middle of the full name.
    const mid = await caller.api.get(`/users/search?q=${encodeURIComponent(`${tag.slice(2)} lee`)}`);
    assert.deepEqual(
      mid.json.content.map((x: any) => x.userId),
      [byFull.userId],
    );
  });

  test('pages: size and page work, default 20, size clamped to 100', async () => {
    const tag = rand(8);
    const caller = await register(anon);
    await Promise.all(Array.from({ length: 5 }, (_, i) => register(anon, { username: `pg_${tag}_${i}` })));
    const p0 = await caller.api.get(`/users/search?q=pg_${tag}&size=2&page=0`);
    assert.equal(p0.status, 200, show(p0));
    assert.equal(p0.json.content.length, 2);
    assert.equal(p0.json.totalElements, 5);
    assert.equal(p0.json.totalPages, 3);
    assert.equal(p0.json.size, 2);
    assert.equal(p0.json.number, 0);
    assert.equal(p0.json.last, false);
    const p2 = await caller.api.get(`/users/search?q=pg_${tag}&size=2&page=2`);
    assert.equal(p2.json.content.length, 1);
    assert.equal(p2.json.number, 2);
    assert.equal(p2.json.last, true);
    const all = new Set<string>();
    for (let page = 0; page < 3; page++) {
      const r = await caller.api.get(`/users/search?q=pg_${tag}&size=2&page=${page}`);
      for (const x of r.json.content) all.add(x.userId);
    }
    assert.equal(all.size, 5, 'pages do not overlap');
    const def = await caller.api.get(`/users/search?q=pg_${tag}`);
    assert.equal(def.json.size, 20, 'default size 20');
    const big = await caller.api.get(`/users/search?q=pg_${tag}&size=1000`);
    assert.equal(big.status, 200, show(big));
    assert.equal(big.json.size, 100, 'size clamped to 100');
    const beyond = await caller.api.get(`/users/search?q=pg_${tag}&size=2&page=50`);
    assert.equal(beyond.status, 200);
    assert.deepEqual(beyond.json.content, []);
  });

  test('needs a token', async () => {
    const r = await anon.get('/users/search?q=abc');
    assert.equal(r.status, 401);
  });
});
