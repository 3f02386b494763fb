// Parley's SigV4 presigner against the reference one: the AWS SDK for JavaScript v3
// (@aws-sdk/s3-request-presigner) presigns the same requests at the same instant, and every URL
// (path, query, signature) must be identical. Parley's side runs through parley_sigv4_cli
// (sigv4cli.ts), built from the same src/media code the server uses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { amzDate as toAmzDate, parleyPresign, type PresignCase } from './sigv4cli.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2026-01-15T10:15:00Z');
const amzDate = toAmzDate(signingDate);

interface Store {
  endpoint?: string; // undefined: AWS itself
  bucket: string;
  region: string;
  pathStyle: boolean;
}

function client(s: Store): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.pathStyle,
    credentials,
    // Without these the SDK adds checksum parameters that have nothing to do with SigV4.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function caseFor(s: Store, method: string, key: string, expires: number, headers: Record<string, string>, query: Record<string, string>): PresignCase {
  return {
    endpoint: s.endpoint ?? `https://s3.${s.region}.amazonaws.com`, // the SDK's regional default
    bucket: s.bucket,
    region: s.region,
    accessKey: credentials.accessKeyId,
    secretKey: credentials.secretAccessKey,
    pathStyle: s.pathStyle,
    method,
    key,
    amzDate,
    expires,
    headers,
    query,
  };
}

/** Same scheme, host, encoded path and the same set of encoded query parameters. */
function assertSameUrl(ours: string, theirs: string, what: string) {
  const a = new URL(ours);
  const b = new URL(theirs);
  assert.equal(a.origin, b.origin, `${what}: origin`);
  assert.equal(a.pathname, b.pathname, `${what}: path`);
  const params = (u: string) => u.slice(u.indexOf('?') + 1).split('&').sort();
  assert.deepEqual(params(ours), params(theirs), `${what}: query\n  parley ${ours}\n  sdk    ${theirs}`);
}

// Keys that stress canonicalisation: spaces, '+', '%', reserved delimiters, unicode of every
// UTF-8 length, repeated and leading slashes, and characters encodeURIComponent leaves alone.
const trickyKeys = [
  'plain.png',
  'with space.png',
  'a+b.png',
  '100%.png',
  '%20literal.png',
  'dir/sub/file.png',
  '//double//slash',
  '/leading',
  'trailing/',
  'ünïcödé/ファイル.png',
  'emoji 😀.png',
  "quote'\"double.txt",
  "bang!star*paren().txt",
  'tilde~under_dash-dot.txt',
  'semi;colon,comma:at@dollar$amp&eq=q?hash#',
  '[brackets]{braces}<angle>|pipe^caret`tick\\back',
  'tab\tnewline\n.txt',
  'x'.repeat(300),
];

describe('SigV4 presigned URLs agree with the AWS SDK presigner', () => {
  const pathStyle: Store = { endpoint: 'http://127.0.0.1:7070', bucket: 'parley-media', region: 'us-east-1', pathStyle: true };
  const virtualHost: Store = { endpoint: 'http://s3.example.test:9000', bucket: 'media', region: 'eu-west-1', pathStyle: false };
  const aws: Store = { bucket: 'examplebucket', region: 'us-east-1', pathStyle: false };

  test('PUT with signed Content-Type and Content-Length, path-style, tricky keys', async () => {
    const c = client(pathStyle);
    const sdk: string[] = [];
    const cases: PresignCase[] = [];
    for (const [i, key] of trickyKeys.entries()) {
      const size = 1000 + i;
      sdk.push(
        await getSignedUrl(c, new PutObjectCommand({ Bucket: pathStyle.bucket, Key: key, ContentType: 'image/png', ContentLength: size }), {
          expiresIn: 900,
          signingDate,
          signableHeaders: new Set(['content-type']),
        }),
      );
      cases.push(caseFor(pathStyle, 'PUT', key, 900, { 'content-type': 'image/png', 'content-length': String(size) }, { 'x-id': 'PutObject' }));
    }
    const ours = parleyPresign(cases);
    trickyKeys.forEach((key, i) => assertSameUrl(ours[i]!, sdk[i]!, JSON.stringify(key)));
    assert.match(new URL(sdk[0]!).searchParams.get('X-Amz-SignedHeaders')!, /^content-length;content-type;host$/);
  });

  test('PUT without a size signs only Content-Type and host; virtual-host style', async () => {
    const c = client(virtualHost);
    const keys = ['k3v5q7a.png', 'with space/ü.pdf'];
    const sdk = await Promise.all(
      keys.map((Key) =>
        getSignedUrl(c, new PutObjectCommand({ Bucket: virtualHost.bucket, Key, ContentType: 'application/pdf' }), {
          expiresIn: 600,
          signingDate,
          signableHeaders: new Set(['content-type']),
        }),
      ),
    );
    const ours = parleyPresign(keys.map((key) => caseFor(virtualHost, 'PUT', key, 600, { 'content-type': 'application/pdf' }, { 'x-id': 'PutObject' })));
    keys.forEach((key, i) => assertSameUrl(ours[i]!, sdk[i]!, key));
    assert.equal(new URL(ours[0]!).host, 'media.s3.example.test:9000');
  });

  test('GET with response-content-disposition, as parley redirects viewers', async () => {
    const c = client(pathStyle);
    const sdk = await getSignedUrl(c, new GetObjectCommand({ Bucket: pathStyle.bucket, Key: 'doc a+b.pdf', ResponseContentDisposition: 'attachment' }), {
      expiresIn: 600,
      signingDate,
    });
    const [ours] = parleyPresign([caseFor(pathStyle, 'GET', 'doc a+b.pdf', 600, {}, { 'x-id': 'GetObject', 'response-content-disposition': 'attachment' })]);
    assertSameUrl(ours!, sdk, 'GET');
  });

  test('GET on AWS itself (virtual host, default endpoint), long expiry', async () => {
    const sdk = await getSignedUrl(client(aws), new GetObjectCommand({ Bucket: aws.bucket, Key: 'test.txt' }), { expiresIn: 86400, signingDate });
    const [ours] = parleyPresign([caseFor(aws, 'GET', 'test.txt', 86400, {}, { 'x-id': 'GetObject' })]);
    assertSameUrl(ours!, sdk, 'AWS');
    assert.equal(new URL(sdk).host, 'examplebucket.s3.us-east-1.amazonaws.com');
  });

  test('a changed input changes the signature (the comparison is not vacuous)', async () => {
    const sdk = await getSignedUrl(client(pathStyle), new GetObjectCommand({ Bucket: pathStyle.bucket, Key: 'a.png' }), { expiresIn: 600, signingDate });
    const [ours] = parleyPresign([caseFor(pathStyle, 'GET', 'a.png', 601, {}, { 'x-id': 'GetObject' })]);
    assert.notEqual(new URL(ours!).searchParams.get('X-Amz-Signature'), new URL(sdk).searchParams.get('X-Amz-Signature'));
  });
});
