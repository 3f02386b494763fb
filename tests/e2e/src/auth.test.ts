// /auth/**: register, login, refresh rotation, logout, JWKS, exists; and the original's auth bugs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { GOOD_PASSWORD, newUserFields, register, show, startServer, stopServer, type Api, type ParleyServer } from './harness.ts';
import { forgeFrom } from './forge.ts';
import { RawStomp } from './stomp.ts';
import { ISO_UTC_RE, rand, uniqueName, UUID_RE } from './util.ts';

let srv: ParleyServer;
let anon: Api;

before(async () => {
  srv = await startServer();
  anon = srv.api();
});
after(() => stopServer(srv));

function assertErrorBody(r: { status: number; json: any; text: string }, status: number): void {
  assert.equal(r.status, status, show(r as any));
  assert.equal(typeof r.json, 'object', `error body is JSON: ${r.text}`);
  assert.equal(r.json.status, status, 'body.status');
  assert.equal(typeof r.json.message, 'string', 'body.message');
  assert.ok(r.json.message.length > 0, 'body.message is not empty');
  assert.match(String(r.json.timestamp), ISO_UTC_RE, 'body.timestamp is ISO-8601 UTC');
}

async function login(username: string, password: string) {
  return anon.post('/auth/login', { username, password });
}

async function refresh(token: string) {
  return anon.post('/auth/refresh-token', { refreshToken: token });
}

describe('POST /auth/register', () => {
  test('returns 201 with an access and a refresh token that work', async () => {
    const f = newUserFields({ bio: 'hello there' });
    const r = await anon.post('/auth/register', f);
    assert.equal(r.status, 201, show(r));
    assert.equal(typeof r.json.accessToken, 'string');
    assert.equal(typeof r.json.refreshToken, 'string');
    assert.equal(r.json.accessToken.split('.').length, 3, 'access token is a JWT');
    assert.equal(r.json.refreshToken.split('.').length, 3, 'refresh token is a JWT');
    const me = await anon.withToken(r.json.accessToken).get('/users/me');
    assert.equal(me.status, 200, show(me));
    assert.equal(me.json.username, f.username);
    assert.equal(me.json.email, f.email);
    assert.equal(me.json.fullName, f.fullName);
    assert.equal(me.json.bio, 'hello there');
    assert.match(me.json.userId, UUID_RE);
  });

  test('accepts values on the edges of every rule', async () => {
    const cases: Record<string, unknown>[] = [
      { username: `a${rand(2)}` }, // 3 chars
      { username: `B_${rand(30)}` }, // 32 chars
      { password: 'aA1!aA1!' }, // 8 chars
      { password: 'aA1!' + 'x'.repeat(60) }, // 64 chars
      { fullName: 'Al' }, // 2 chars
      { fullName: 'F'.repeat(100) },
      { bio: 'b'.repeat(255) },
      { email: `first.last+tag%x-y_${rand(6)}@sub.example-host.co` },
    ];
    for (const c of cases) {
      const f = { ...newUserFields(), ...c };
      const r = await anon.post('/auth/register', f);
      assert.equal(r.status, 201, `${JSON.stringify(c).slice(0, 80)} → ${show(r)}`);
    }
  });

  test('rejects each invalid field with 400 and errors[field]', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['username', { username: 'ab' }],
      ['username', { username: 'x'.repeat(33) }],
      ['username', { username: 'has space' }],
      ['username', { username: 'has-dash' }],
      ['username', { username: 'ünïcode' }],
      ['username', { username: undefined }],
      ['password', { password: 'aA1!aA1' }], // 7 chars
      ['password', { password: 'aA1!' + 'x'.repeat(61) }], // 65 chars
      ['password', { password: 'nouppercase1!' }],
      ['password', { password: 'NOLOWERCASE1!' }],
      ['password', { password: 'NoDigitsHere!' }],
      ['password', { password: 'NoSymbol1234' }],
      ['password', { password: 'Has Space1!' }],
      ['password', { password: undefined }],
      ['email', { email: 'plainaddress' }],
      ['email', { email: 'a@b' }],
      ['email', { email: 'a@b.c' }],
      ['email', { email: 'sp ace@example.com' }],
      ['email', { email: undefined }],
      ['fullName', { fullName: 'A' }],
      ['fullName', { fullName: 'F'.repeat(101) }],
      ['fullName', { fullName: undefined }],
      ['bio', { bio: 'b'.repeat(256) }],
    ];
    for (const [field, override] of cases) {
      const f: Record<string, unknown> = { ...newUserFields(), ...override };
      for (const k of Object.keys(f)) if (f[k] === undefined) delete f[k];
      const r = await anon.post('/auth/register', f);
      const what = `${field}=${JSON.stringify(override[field])?.slice(0, 40)}`;
      assert.equal(r.status, 400, `${what} → ${show(r)}`);
      assertErrorBody(r, 400);
      assert.equal(typeof r.json.errors, 'object', `${what}: errors object`);
      assert.equal(typeof r.json.errors[field], 'string', `${what}: errors.${field} in ${r.text}`);
    }
  });

  test('reports every invalid field at once', async () => {
    const r = await anon.post('/auth/register', { username: 'x', password: 'y', email: 'z', fullName: '' });
    assertErrorBody(r, 400);
    for (const k of ['username', 'password', 'email', 'fullName']) assert.ok(r.json.errors?.[k], `errors.${k} in ${r.text}`);
  });

  test('a taken username or email is 409', async () => {
    const u = await register(anon);
    const sameName = await anon.post('/auth/register', newUserFields({ username: u.username }));
    assertErrorBody(sameName, 409);
    const sameEmail = await anon.post('/auth/register', { ...newUserFields(), email: u.email });
    assertErrorBody(sameEmail, 409);
  });

  test('bug 5: a role field is ignored (no self-made admins)', async () => {
    const f = { ...newUserFields(), role: 'ADMIN', roles: ['ADMIN'], authorities: ['ADMIN'], admin: true };
    const r = await anon.post('/auth/register', f);
    assert.equal(r.status, 201, show(r));
    for (const tok of [r.json.accessToken, r.json.refreshToken]) {
      const claims = decodeJwt(tok);
      assert.ok(!JSON.stringify(claims).includes('ADMIN'), `token claims grant no ADMIN: ${JSON.stringify(claims)}`);
    }
    const me = await anon.withToken(r.json.accessToken).get('/users/me');
    assert.equal(me.status, 200);
    assert.ok(!JSON.stringify(me.json).includes('ADMIN'), `user has no ADMIN role: ${me.text}`);
    const logged = await login(f.username, f.password);
    assert.equal(logged.status, 200);
    assert.ok(!JSON.stringify(decodeJwt(logged.json.accessToken)).includes('ADMIN'));
  });
});

describe('POST /auth/login', () => {
  test('returns 200 with a working token pair', async () => {
    const u = await register(anon);
    const r = await login(u.username, u.password);
    assert.equal(r.status, 200, show(r));
    const me = await anon.withToken(r.json.accessToken).get('/users/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.userId, u.userId);
    const rr = await refresh(r.json.refreshToken);
    assert.equal(rr.status, 200, show(rr));
  });

  test('bug 6: login does not reveal whether a username exists', async () => {
    const u = await register(anon);
    const wrongPassword = await login(u.username, 'Wr0ng!pass');
    const unknownUser = await login(uniqueName('ghost'), 'Wr0ng!pass');
    assertErrorBody(wrongPassword, 401);
    assertErrorBody(unknownUser, 401);
    assert.equal(wrongPassword.json.message, unknownUser.json.message, 'same message for both');
    assert.deepEqual(Object.keys(wrongPassword.json).sort(), Object.keys(unknownUser.json).sort(), 'same body shape');
  });

  test('blank username or password is 400', async () => {
    for (const body of [{ username: '', password: 'x' }, { username: 'someone', password: '' }, {}]) {
      const r = await anon.post('/auth/login', body);
      assertErrorBody(r, 400);
    }
  });

  test('the 6th failed login within a minute is 429 with Retry-After; other users are unaffected', async () => {
    const u = await register(anon);
    const bystander = await register(anon);
    for (let i = 1; i <= 5; i++) {
      const r = await login(u.username, `Wr0ng!pass${i}`);
      assert.equal(r.status, 401, `attempt ${i}: ${show(r)}`);
    }
    const sixth = await login(u.username, 'Wr0ng!pass6');
    assertErrorBody(sixth, 429);
    const ra = sixth.headers.get('retry-after');
    assert.ok(ra !== null, 'Retry-After header present');
    assert.match(ra!, /^\d+$/, 'Retry-After is delay-seconds');
    assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `Retry-After ${ra} within the minute`);
    const other = await login(bystander.username, bystander.password);
    assert.equal(other.status, 200, `limit is per username: ${show(other)}`);
  });

  test('bug 6: the failed-login limit treats an unknown username like a known one', async () => {
    const ghost = uniqueName('ghost');
    for (let i = 1; i <= 5; i++) {
      const r = await login(ghost, `Wr0ng!pass${i}`);
      assert.equal(r.status, 401, `attempt ${i}: ${show(r)}`);
    }
    const sixth = await login(ghost, 'Wr0ng!pass6');
    assert.equal(sixth.status, 429, show(sixth));
    assert.ok(sixth.headers.get('retry-after'), 'Retry-After header present');
  });
});

describe('POST /auth/refresh-token', () => {
  test('a JSON body {refreshToken} gives a new, rotated pair', async () => {
    const u = await register(anon);
    const r = await refresh(u.refreshToken);
    assert.equal(r.status, 200, show(r));
    assert.notEqual(r.json.refreshToken, u.refreshToken, 'refresh token rotates');
    assert.notEqual(r.json.accessToken, u.accessToken);
    const me = await anon.withToken(r.json.accessToken).get('/users/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.userId, u.userId);
    const again = await refresh(r.json.refreshToken);
    assert.equal(again.status, 200, `the rotated token works once: ${show(again)}`);
  });

  test('bug 11: a bare token string body is accepted', async () => {
    const u = await register(anon);
    const r = await anon.request('POST', '/auth/refresh-token', { raw: u.refreshToken, contentType: 'text/plain' });
    assert.equal(r.status, 200, show(r));
    assert.equal(typeof r.json.accessToken, 'string');
    assert.equal(typeof r.json.refreshToken, 'string');
    const me = await anon.withToken(r.json.accessToken).get('/users/me');
    assert.equal(me.status, 200);
  });

  test('reusing a rotated refresh token is 401 and revokes its family', async () => {
    const u = await register(anon);
    const first = await refresh(u.refreshToken);
    assert.equal(first.status, 200, show(first));
    const reuse = await refresh(u.refreshToken);
    assertErrorBody(reuse, 401);
    const descendant = await refresh(first.json.refreshToken);
    assertErrorBody(descendant, 401);
    // Other families (another login) are untouched.
    const other = await login(u.username, u.password);
    assert.equal(other.status, 200);
    const otherRefresh = await refresh(other.json.refreshToken);
    assert.equal(otherRefresh.status, 200, `another device's family still works: ${show(otherRefresh)}`);
  });

  test('garbage, an access token, or a missing token is not accepted as a refresh token', async () => {
    const u = await register(anon);
    for (const [what, tok] of [
      ['garbage', 'not-a-jwt'],
      ['three garbage segments', 'aaa.bbb.ccc'],
      ['an access token', u.accessToken],
    ] as const) {
      const r = await refresh(tok);
      assert.equal(r.status, 401, `${what}: ${show(r)}`);
      assertErrorBody(r, 401);
    }
    const missing = await anon.post('/auth/refresh-token', {});
    assert.ok(missing.status === 400 || missing.status === 401, `missing token: ${show(missing)}`);
  });
});

describe('refresh tokens are not access tokens', () => {
  test('bug 4: a refresh token is rejected as an access token on REST', async () => {
    const u = await register(anon);
    for (const p of ['/users/me', '/chat/rooms/my']) {
      const r = await anon.withToken(u.refreshToken).get(p);
      assertErrorBody(r, 401);
    }
  });

  test('bug 4: a refresh token is rejected at STOMP CONNECT with an ERROR and a close', async () => {
    const u = await register(anon);
    const { raw, frame } = await RawStomp.connect(srv, u.refreshToken);
    assert.equal(frame.command, 'ERROR', `got ${frame.command}`);
    assert.equal(frame.headers['code'], 'UNAUTHORIZED');
    assert.ok(frame.headers['message'], 'ERROR has a message header');
    await raw.waitClosed();
    // The access token of the same user is fine.
    const ok = await RawStomp.connect(srv, u.accessToken);
    assert.equal(ok.frame.command, 'CONNECTED', JSON.stringify(ok.frame));
    await ok.raw.close();
  });
});

describe('forged access tokens', () => {
  test('another key under the real kid, alg none, HS256 with the public key, a bad signature and an edited payload are all 401', async () => {
    const victim = await register(anon);
    const attacker = await register(anon);
    const forged = await forgeFrom(attacker.accessToken, `${srv.httpBase}/auth/.well-known/jwks.json`, victim.userId);
    for (const [what, tok] of Object.entries(forged)) {
      const r = await anon.withToken(tok).get('/users/me');
      assert.equal(r.status, 401, `${what}: ${show(r)}`);
    }
  });
});

describe('POST /auth/logout', () => {
  test('returns 204 and revokes that refresh token (and its family), not other devices', async () => {
    const u = await register(anon);
    const device2 = await login(u.username, u.password);
    assert.equal(device2.status, 200);
    const rotated = await refresh(u.refreshToken);
    assert.equal(rotated.status, 200);
    const out = await anon.post('/auth/logout', { refreshToken: rotated.json.refreshToken });
    assert.equal(out.status, 204, show(out));
    assert.equal(out.text, '', '204 has no body');
    const after = await refresh(rotated.json.refreshToken);
    assertErrorBody(after, 401);
    const other = await refresh(device2.json.refreshToken);
    assert.equal(other.status, 200, `the other device stays logged in: ${show(other)}`);
  });
});

describe('JWKS and token claims', () => {
  test('bug 22: JWKS is served at both paths with canonical RS256 keys', async () => {
    const a = await anon.get('/auth/.well-known/jwks.json');
    const b = await anon.get('/.well-known/jwks.json');
    assert.equal(a.status, 200, show(a));
    assert.equal(b.status, 200, show(b));
    assert.match(a.headers.get('content-type') ?? '', /application\/(jwk-set\+)?json/);
    assert.deepEqual(a.json, b.json, 'same key set at both paths');
    assert.ok(Array.isArray(a.json.keys) && a.json.keys.length >= 1, 'at least one key');
    const kids = new Set<string>();
    for (const k of a.json.keys) {
      assert.equal(k.kty, 'RSA');
      assert.equal(k.use, 'sig');
      assert.equal(k.alg, 'RS256');
      assert.equal(typeof k.kid, 'string');
      assert.ok(k.kid.length > 0);
      assert.ok(!kids.has(k.kid), 'kids are unique');
      kids.add(k.kid);
      for (const part of ['n', 'e'] as const) {
        assert.match(k[part], /^[A-Za-z0-9_-]+$/, `${part} is unpadded base64url`);
        const bytes = Buffer.from(k[part], 'base64url');
        assert.notEqual(bytes[0], 0, `${part} has no leading zero byte`);
      }
      assert.ok(Buffer.from(k.n, 'base64url').length >= 256, 'modulus is at least 2048 bits');
      assert.equal(k.d, undefined, 'no private exponent published');
      assert.equal(k.p, undefined);
    }
  });

  test('an access token verifies with jose against the JWKS and carries the documented claims', async () => {
    const u = await register(anon);
    const jwks = createRemoteJWKSet(new URL(`${srv.httpBase}/auth/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(u.accessToken, jwks, { algorithms: ['RS256'] });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(typeof protectedHeader.kid, 'string');
    assert.equal(payload.sub, u.username);
    assert.equal(payload['username'], u.username);
    assert.equal(payload['userId'], u.userId);
    assert.equal(payload['token_use'], 'access');
    assert.equal(typeof payload.iss, 'string');
    assert.ok(payload.iss!.length > 0);
    assert.equal(typeof payload.jti, 'string');
    assert.equal(typeof payload.iat, 'number');
    assert.equal(typeof payload.exp, 'number');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(payload.iat! - now) < 120, 'iat is now');
    assert.equal(payload.exp! - payload.iat!, 15 * 60, 'default access lifetime is 15 min');
    // The other path serves the same keys.
    const jwks2 = createRemoteJWKSet(new URL(`${srv.httpBase}/.well-known/jwks.json`));
    await jwtVerify(u.accessToken, jwks2, { algorithms: ['RS256'] });
  });

  test('a refresh token is a signed JWT with token_use=refresh and a 30-day lifetime', async () => {
    const u = await register(anon);
    const jwks = createRemoteJWKSet(new URL(`${srv.httpBase}/auth/.well-known/jwks.json`));
    const { payload } = await jwtVerify(u.refreshToken, jwks, { algorithms: ['RS256'] });
    assert.equal(payload['token_use'], 'refresh');
    assert.equal(payload.sub, u.username);
    assert.equal(payload.exp! - payload.iat!, 30 * 24 * 3600, 'default refresh lifetime is 30 days');
    assert.notEqual(payload.jti, decodeJwt(u.accessToken).jti, 'jti differs between tokens');
    assert.equal(decodeProtectedHeader(u.refreshToken).alg, 'RS256');
  });

  test('every issued token has a fresh jti', async () => {
    const u = await register(anon);
    const l1 = await login(u.username, GOOD_PASSWORD);
    const l2 = await login(u.username, GOOD_PASSWORD);
    const jtis = [u.accessToken, u.refreshToken, l1.json.accessToken, l1.json.refreshToken, l2.json.accessToken, l2.json.refreshToken].map(
      (t) => decodeJwt(t).jti,
    );
    assert.equal(new Set(jtis).size, jtis.length, `unique jtis: ${jtis}`);
  });
});

describe('GET /auth/exists', () => {
  test('bug 24: true right after register, false for a name never registered', async () => {
    const u = await register(anon);
    const yes = await anon.get(`/auth/exists?username=${encodeURIComponent(u.username)}`);
    assert.equal(yes.status, 200, show(yes));
    assert.deepEqual(yes.json, { exists: true });
    const no = await anon.get(`/auth/exists?username=${uniqueName('never')}`);
    assert.equal(no.status, 200, show(no));
    assert.deepEqual(no.json, { exists: false });
  });

  test('needs no token, and is 400 without the username parameter', async () => {
    const r = await anon.get('/auth/exists');
    assertErrorBody(r, 400);
    const blank = await anon.get('/auth/exists?username=');
    assertErrorBody(blank, 400);
  });
});
