// Cluster-mode media against a real S3-compatible server that validates SigV4 (versitygw, started
// by scripts/test-s3.sh): parley presigns, the store checks. Upload through the presigned URL,
// read back through parley's stable viewUrl (a 302 to a presigned GET), and show that the store
// itself refuses a tampered signature, an expired URL, another content type and an oversized body.
// Needs S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY (and optionally S3_REGION); run with
// `npm run test:s3` in tests/e2e. Without them it fails: it never skips silently.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { register, show, startServer, stopServer, type ParleyServer, type TestUser } from '../e2e/src/harness.ts';
import { amzDate, parleyPresign } from '../e2e/src/sigv4cli.ts';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite through scripts/test-s3.sh`);
  return v;
}

const endpoint = required('S3_ENDPOINT');
const accessKey = required('S3_ACCESS_KEY');
const secretKey = required('S3_SECRET_KEY');
const region = process.env.S3_REGION ?? 'us-east-1';
const bucket = `parley-it-${randomBytes(4).toString('hex')}`;
const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let srv: ParleyServer;
let user: TestUser;

/** A bucket made with curl's own SigV4 signer: a client that shares no code with parley. */
function createBucket(name: string) {
  const status = execFileSync(
    'curl',
    ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', `x-amz-content-sha256: ${emptySha256}`,
     '--aws-sigv4', `aws:amz:${region}:s3`, '--user', `${accessKey}:${secretKey}`, `${endpoint}/${name}`],
    { encoding: 'utf8' },
  );
  assert.equal(status, '200', `CreateBucket ${name}`);
}

before(async () => {
  createBucket(bucket);
  srv = await startServer({
    env: {
      PARLEY_MEDIA_S3_ENDPOINT: endpoint,
      PARLEY_MEDIA_S3_BUCKET: bucket,
      PARLEY_MEDIA_S3_REGION: region,
      PARLEY_MEDIA_S3_ACCESS_KEY: accessKey,
      PARLEY_MEDIA_S3_SECRET_KEY: secretKey,
    },
  });
  user = await register(srv.api());
});
after(() => stopServer(srv));

async function presign(body: Record<string, unknown>) {
  const r = await user.api.post('/storage/presigned-url', body);
  assert.equal(r.status, 200, show(r));
  return r.json as { uploadUrl: string; viewUrl: string; filename: string };
}

async function put(url: string, bytes: Uint8Array, contentType: string) {
  const r = await fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body: bytes });
  return { status: r.status, text: await r.text() };
}

/** What the viewUrl leads to, following parley's redirect to the store. */
async function view(url: string) {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), bytes: Buffer.from(await r.arrayBuffer()) };
}

describe('media in an S3-compatible store (versitygw)', () => {
  test('upload through the presigned URL, read back through the viewUrl', async () => {
    const bytes = randomBytes(4096);
    const p = await presign({ filename: 'cat.png', contentType: 'image/png', size: bytes.length });
    assert.ok(p.uploadUrl.startsWith(`${endpoint}/${bucket}/`), `uploadUrl on the store: ${p.uploadUrl}`);
    assert.ok(p.viewUrl.startsWith(`${srv.httpBase}/media/`), `viewUrl on parley: ${p.viewUrl}`);
    assert.equal(new URL(p.uploadUrl).searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host');

    const up = await put(p.uploadUrl, bytes, 'image/png');
    assert.equal(up.status, 200, `PUT to the store: ${up.text}`);

    const redirect = await fetch(p.viewUrl, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const location = redirect.headers.get('location')!;
    assert.ok(location.startsWith(`${endpoint}/${bucket}/`), location);
    assert.ok(new URL(location).searchParams.get('X-Amz-Signature'), 'a presigned GET');

    const got = await view(p.viewUrl);
    assert.equal(got.status, 200);
    assert.equal(got.type, 'image/png');
    assert.deepEqual(got.bytes, bytes, 'same bytes back');
  });

  test('a document is downloaded as an attachment', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%integration\n');
    const p = await presign({ filename: 'doc.pdf', contentType: 'application/pdf', size: pdf.length });
    assert.equal((await put(p.uploadUrl, pdf, 'application/pdf')).status, 200);
    const got = await view(p.viewUrl);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, pdf);
    assert.match(got.disposition ?? '', /^attachment/, 'the store honours response-content-disposition');
  });

  test('the store refuses a tampered signature and a tampered expiry', async () => {
    const bytes = randomBytes(100);
    const p = await presign({ filename: 'a.png', contentType: 'image/png', size: bytes.length });
    const u = new URL(p.uploadUrl);
    const sig = u.searchParams.get('X-Amz-Signature')!;
    u.searchParams.set('X-Amz-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1));
    const forged = await put(u.toString(), bytes, 'image/png');
    assert.equal(forged.status, 403, forged.text);
    assert.match(forged.text, /SignatureDoesNotMatch/);
    const v = new URL(p.uploadUrl);
    v.searchParams.set('X-Amz-Expires', '604800');
    assert.equal((await put(v.toString(), bytes, 'image/png')).status, 403);
    assert.equal((await view(p.viewUrl)).status, 404, 'nothing stored');
  });

  test('the store refuses an expired URL made by parley', async () => {
    // Signed two hours ago for one minute, by parley's presigner (the same code the server uses).
    const key = `${randomBytes(16).toString('hex')}.png`;
    const bytes = randomBytes(10);
    const [url] = parleyPresign([
      { endpoint, bucket, region, accessKey, secretKey, pathStyle: true, method: 'PUT', key,
        amzDate: amzDate(new Date(Date.now() - 2 * 3600_000)), expires: 60,
        headers: { 'content-type': 'image/png', 'content-length': String(bytes.length) }, query: {} },
    ]);
    const r = await put(url!, bytes, 'image/png');
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /AccessDenied|expired/i);
    // The same URL signed now is accepted, so the refusal above was about time alone.
    const [fresh] = parleyPresign([
      { endpoint, bucket, region, accessKey, secretKey, pathStyle: true, method: 'PUT', key,
        amzDate: amzDate(new Date()), expires: 60,
        headers: { 'content-type': 'image/png', 'content-length': String(bytes.length) }, query: {} },
    ]);
    assert.equal((await put(fresh!, bytes, 'image/png')).status, 200);
  });

  test('the store refuses another content type and an oversized body', async () => {
    const bytes = randomBytes(64);
    const p = await presign({ filename: 'b.png', contentType: 'image/png', size: bytes.length });
    const retyped = await put(p.uploadUrl, bytes, 'text/html');
    assert.equal(retyped.status, 403, `content type: ${retyped.text}`);
    assert.match(retyped.text, /SignatureDoesNotMatch/);
    const oversized = await put(p.uploadUrl, randomBytes(bytes.length + 1), 'image/png');
    assert.equal(oversized.status, 403, `size: ${oversized.text}`);
    assert.equal((await view(p.viewUrl)).status, 404, 'nothing stored by refused uploads');
    assert.equal((await put(p.uploadUrl, bytes, 'image/png')).status, 200, 'the genuine upload still works');
  });

  test('parley needs the size up front when the store cannot enforce a maximum', async () => {
    const r = await user.api.post('/storage/presigned-url', { filename: 'c.png', contentType: 'image/png' });
    assert.equal(r.status, 400, show(r));
    assert.ok(r.json.errors?.size, show(r));
  });
});
