// Media: presigned upload URLs (AWS SigV4) served by parley itself in all-in-one mode.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createRoom, register, registerMany, show, startServer, stopServer, type Api, type ParleyServer, type TestUser } from './harness.ts';

let srv: ParleyServer;
let anon: Api;
let user: TestUser;

before(async () => {
  srv = await startServer();
  anon = srv.api();
  user = await register(anon);
});
after(() => stopServer(srv));

async function presign(u: TestUser, body: Record<string, unknown>) {
  const r = await u.api.post('/storage/presigned-url', body);
  assert.equal(r.status, 200, show(r));
  return r.json as { uploadUrl: string; viewUrl: string; filename: string };
}

async function put(url: string, bytes: Uint8Array, contentType: string) {
  const r = await fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body: bytes });
  return { status: r.status, text: await r.text() };
}

describe('presigned uploads', () => {
  test('presign, PUT the bytes, then GET the viewUrl without a token', async () => {
    const bytes = randomBytes(1000);
    const p = await presign(user, { filename: 'cat.png', contentType: 'image/png', size: bytes.length });
    for (const k of ['uploadUrl', 'viewUrl', 'filename'] as const) assert.equal(typeof p[k], 'string', k);
    const up = new URL(p.uploadUrl);
    const view = new URL(p.viewUrl);
    assert.equal(up.protocol, 'http:', 'absolute uploadUrl');
    assert.equal(up.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
    assert.match(up.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
    assert.ok(Number(up.searchParams.get('X-Amz-Expires')) <= 900, 'valid at most 15 min');
    assert.ok(up.searchParams.get('X-Amz-Credential'), 'credential scope present');
    assert.match(view.pathname, /^\/media\/.{20,}/, `viewUrl is /media/{unguessable key}: ${p.viewUrl}`);
    assert.ok(!p.viewUrl.includes('X-Amz-Signature'), 'the viewUrl is stable, not presigned');

    const before = await fetch(p.viewUrl);
    await before.arrayBuffer();
    assert.equal(before.status, 404, 'nothing to view before the upload');

    const r = await put(p.uploadUrl, bytes, 'image/png');
    assert.equal(r.status, 200, `PUT: ${r.status} ${r.text}`);
    const got = await fetch(p.viewUrl);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes, 'same bytes back');
  });

  test('a tampered signature is 403 SignatureDoesNotMatch', async () => {
    const bytes = randomBytes(10);
    const p = await presign(user, { filename: 'a.png', contentType: 'image/png', size: bytes.length });
    const u = new URL(p.uploadUrl);
    const sig = u.searchParams.get('X-Amz-Signature')!;
    u.searchParams.set('X-Amz-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1));
    const r = await put(u.toString(), bytes, 'image/png');
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /SignatureDoesNotMatch/);
    // Editing a signed parameter breaks the signature too.
    const v = new URL(p.uploadUrl);
    v.searchParams.set('X-Amz-Expires', '604800');
    assert.equal((await put(v.toString(), bytes, 'image/png')).status, 403);
    // The genuine URL still works.
    assert.equal((await put(p.uploadUrl, bytes, 'image/png')).status, 200);
  });

  test('another Content-Type or another size than signed is refused', async () => {
    const bytes = randomBytes(64);
    const p = await presign(user, { filename: 'b.png', contentType: 'image/png', size: bytes.length });
    const wrongType = await put(p.uploadUrl, bytes, 'text/html');
    assert.equal(wrongType.status, 403, `content type: ${wrongType.text}`);
    const wrongSize = await put(p.uploadUrl, randomBytes(65), 'image/png');
    assert.ok(wrongSize.status === 403 || wrongSize.status === 400, `size: ${wrongSize.status} ${wrongSize.text}`);
    const view = await fetch(p.viewUrl);
    await view.arrayBuffer();
    assert.equal(view.status, 404, 'nothing stored by refused uploads');
  });

  test('presign needs a token and validates its input', async () => {
    const noToken = await anon.post('/storage/presigned-url', { filename: 'a.png', contentType: 'image/png' });
    assert.equal(noToken.status, 401);
    for (const body of [
      { contentType: 'image/png' },
      { filename: 'a.png' },
      { filename: 'a.exe', contentType: 'application/x-msdownload' },
      { filename: 'a.html', contentType: 'text/html' },
      { filename: 'big.png', contentType: 'image/png', size: 26 * 1024 * 1024 },
      { filename: 'neg.png', contentType: 'image/png', size: -1 },
    ]) {
      const r = await user.api.post('/storage/presigned-url', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${show(r)}`);
    }
    const noSize = await user.api.post('/storage/presigned-url', { filename: 'c.png', contentType: 'image/png' });
    assert.equal(noSize.status, 200, `size is optional: ${show(noSize)}`);
  });
});

describe('media in messages', () => {
  test('bug 15: IMAGE and FILE messages carry the viewUrl', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    const png = randomBytes(32);
    const img = await presign(a, { filename: 'pic.png', contentType: 'image/png', size: png.length });
    assert.equal((await put(img.uploadUrl, png, 'image/png')).status, 200);
    const m = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: img.viewUrl, type: 'IMAGE' });
    assert.equal(m.status, 201, show(m));
    assert.equal(m.json.type, 'IMAGE');
    assert.equal(m.json.content, img.viewUrl);
    const pdf = Buffer.from('%PDF-1.4\n%e2e\n');
    const file = await presign(a, { filename: 'doc.pdf', contentType: 'application/pdf', size: pdf.length });
    assert.equal((await put(file.uploadUrl, pdf, 'application/pdf')).status, 200);
    const f = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content: file.viewUrl, type: 'FILE' });
    assert.equal(f.status, 201, show(f));
    assert.equal(f.json.type, 'FILE');
    const fetched = await fetch(f.json.content);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), pdf);
  });

  test('an IMAGE message whose content is not a media viewUrl is 400', async () => {
    const [a, b] = (await registerMany(anon, 2)) as [TestUser, TestUser];
    const room = await createRoom(a, [b]);
    for (const content of ['just text', 'http://evil.example.com/x.png', 'javascript:alert(1)']) {
      const r = await a.api.post(`/chat/rooms/${room.chatId}/messages`, { content, type: 'IMAGE' });
      assert.equal(r.status, 400, `${content}: ${show(r)}`);
    }
  });
});
