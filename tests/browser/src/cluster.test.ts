// The web client through a cluster shaped like production (scripts/cluster.sh: 3 `parley serve`
// nodes behind HAProxy, MariaDB, Redis, the Kafka log with 2 persist workers, media on an S3
// server). Alice and Bob log in through HAProxy with their STOMP sessions on different nodes
// (told apart by each node's /metrics), chat live across the nodes and find it all in history
// after a reload; an image Alice sends goes to the S3 server and shows for Bob.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newUserContext, parleyBin, pollUntil, repoRoot, staticDir, uniqueName } from './harness.ts';
import { png } from './png.ts';
import { loginViaUi, message, messageTexts, openRoom, send, waitForTick } from './ui.ts';

const NODES = 3;
const DEMO_PASSWORD = 'Parley@demo1';
const ALICE = { username: 'alice', name: 'Alice Martin' };
const BOB = { username: 'bob', name: 'Bob Okafor' };
const GROUP = 'Parley demo';
// CLUSTER_SH: another copy of the script (one with a change to try). Not PARLEY_CLUSTER_*: parley
// reads those as configuration (cluster.*) and refuses unknown keys.
const clusterSh = process.env.CLUSTER_SH ?? path.join(repoRoot, 'scripts', 'cluster.sh');

let dir = '';
let port = 0;
let browser: Browser;
const base = () => `http://127.0.0.1:${port}`;

/** Runs scripts/cluster.sh; rejects with its output when it fails. */
function cluster(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(clusterSh, args, {
      env: { ...process.env, PARLEY_BIN: parleyBin, PARLEY_AUTH_ARGON2: 'min' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`cluster.sh ${args.join(' ')}: exit ${code}\n${out}${logTails()}`))));
  });
}

function logTails(): string {
  if (!dir) return '';
  let s = '';
  for (const f of [...Array.from({ length: NODES }, (_, i) => `node${i + 1}.log`), 'persist1.log', 'persist2.log', 'haproxy.log']) {
    const p = path.join(dir, f);
    if (existsSync(p)) s += `\n--- ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-15).join('\n')}`;
  }
  return s;
}

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port whose whole block (HAProxy, nodes on +1.., workers on +51..) is free. */
async function freeBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = 30000 + Math.floor(Math.random() * 10000);
    let ok = true;
    for (let i = 0; i <= 60 && ok; i++) ok = await portFree(p + i);
    if (ok) return p;
  }
  throw new Error('no free block of 61 ports in 30000-40060');
}

before(
  async () => {
    if (!existsSync(path.join(staticDir, 'index.html'))) throw new Error(`web client not built: ${staticDir}/index.html missing (run scripts/web-build.sh)`);
    const root = path.join(os.tmpdir(), 'parley-browser');
    mkdirSync(root, { recursive: true });
    dir = mkdtempSync(path.join(root, 'cluster-'));
    port = await freeBlock();
    await cluster('up', dir, String(NODES), String(port));
    browser = await launchBrowser();
  },
  { timeout: 300_000 },
);

after(
  async () => {
    await browser?.close();
    if (dir) {
      await cluster('down', dir).catch((e) => process.stderr.write(`${(e as Error).message}\n`));
      if (!process.env.KEEP_E2E_TMP) rmSync(dir, { recursive: true, force: true });
    }
  },
  { timeout: 120_000 },
);

// --- Which node holds a session: parley_stomp_sessions_{opened,closed}_total of each node. ---

interface Sessions {
  opened: number[];
  closed: number[];
}

async function sessions(): Promise<Sessions> {
  const s: Sessions = { opened: [], closed: [] };
  for (let i = 1; i <= NODES; i++) {
    const r = await fetch(`http://127.0.0.1:${port + i}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await r.text();
    assert.equal(r.status, 200, `node${i} /metrics`);
    const value = (name: string) => {
      const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
      assert.ok(m, `node${i} /metrics has ${name}`);
      return Number(m[1]);
    };
    s.opened.push(value('parley_stomp_sessions_opened_total'));
    s.closed.push(value('parley_stomp_sessions_closed_total'));
  }
  return s;
}

/**
 * Runs `act` (which makes the page open one new STOMP session) and returns the index (0-based) of
 * the node the new session opened on, once it is open there.
 */
async function newSessionNode(act: () => Promise<void>): Promise<number> {
  const before = await sessions();
  await act();
  return pollUntil(
    'a new STOMP session on a node',
    async () => {
      const now = await sessions();
      const grew = now.opened.map((o, i) => o - before.opened[i]!);
      const total = grew.reduce((a, b) => a + b, 0);
      if (total === 0) return null;
      assert.equal(total, 1, `one new STOMP session, not ${total} (per node: ${grew.join(', ')})`);
      const node = grew.indexOf(1);
      // Still open there (not a session that came and went).
      return now.opened[node]! - now.closed[node]! > 0 ? { node } : null;
    },
    15_000,
  ).then((r) => r.node);
}

// Every test's browser contexts, closed after it (passed or not).
const contexts: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

async function openPage(): Promise<Page> {
  const { ctx, page } = await newUserContext(browser);
  contexts.push(ctx);
  return page;
}

/**
 * Alice and Bob, logged in through HAProxy, their STOMP sessions on two different nodes: when
 * round robin puts Bob's on Alice's node, Bob's page reloads (a new session) until it lands
 * elsewhere.
 */
async function aliceAndBobOnTwoNodes(): Promise<{ a: Page; b: Page; aNode: number; bNode: number }> {
  const a = await openPage();
  const b = await openPage();
  const aNode = await newSessionNode(() => loginViaUi(a, base(), ALICE.username, DEMO_PASSWORD));
  let bNode = await newSessionNode(() => loginViaUi(b, base(), BOB.username, DEMO_PASSWORD));
  let reloads = 0;
  for (; bNode === aNode && reloads < 20; reloads++) {
    bNode = await newSessionNode(async () => {
      // A reload makes about the same requests each time: without a few more (each one moves
      // HAProxy's round robin on by a node) the WebSocket can land on the same node again and again.
      for (let i = 0; i <= reloads % NODES; i++) await (await fetch(`${base()}/readyz`, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
      await b.reload();
      await b.locator('[data-testid=me-name]').filter({ hasNotText: '…' }).waitFor();
    });
  }
  assert.notEqual(bNode, aNode, `Bob's session stays on Alice's node${aNode + 1} after ${reloads} reloads`);
  process.stderr.write(`[cluster] alice on node${aNode + 1}, bob on node${bNode + 1} (after ${reloads} reload(s) of bob's page)\n`);
  return { a, b, aNode, bNode };
}

/** Page loads (navigations of the main frame that finished), to tell a live update from a reload. */
function countLoads(page: Page): { readonly n: number } {
  const c = { n: 0 };
  page.on('load', () => c.n++);
  return c;
}

test('alice and bob on different nodes chat live through HAProxy and find it in history', async () => {
  const { a, b } = await aliceAndBobOnTwoNodes();
  await openRoom(a, BOB.name);
  await openRoom(b, ALICE.name);
  // The demo history (written through node 1 at start-up) is there on every node.
  await message(a, 'Did the deploy go out?').waitFor();
  await message(b, 'Did the deploy go out?').waitFor();

  const placed = await sessions();
  const bLoads = countLoads(b);
  const aLoads = countLoads(a);
  const hello = `hello across nodes ${uniqueName('m')}`;
  const reply = `reply from the other node ${uniqueName('r')}`;

  await send(a, hello);
  await message(b, hello).waitFor();
  await waitForTick(a, hello, 'read');
  await send(b, reply);
  await message(a, reply).waitFor();
  assert.equal(bLoads.n, 0, "Bob's page did not reload: the message came live");
  assert.equal(aLoads.n, 0, "Alice's page did not reload: the reply came live");
  assert.deepEqual((await sessions()).opened, placed.opened, 'nobody reconnected (to another node) while chatting');
  for (const p of [a, b]) {
    assert.equal(await message(p, hello).count(), 1, `one "${hello}"`);
    assert.equal(await message(p, reply).count(), 1, `one "${reply}"`);
  }
  assert.equal(await message(a, hello).getAttribute('data-mine'), 'true');
  assert.equal(await message(b, hello).getAttribute('data-mine'), 'false');

  // After a reload both come from history (MariaDB, through the Kafka log), in the order sent.
  for (const [p, title] of [
    [a, BOB.name],
    [b, ALICE.name],
  ] as const) {
    await p.reload();
    await p.locator('[data-testid=chat-title]', { hasText: title }).waitFor();
    await message(p, hello).waitFor();
    await message(p, reply).waitFor();
    const texts = await messageTexts(p);
    const ih = texts.indexOf(hello);
    const ir = texts.indexOf(reply);
    assert.equal(texts.filter((t) => t === hello).length, 1, `one "${hello}" in ${texts.join(' | ')}`);
    assert.equal(texts.filter((t) => t === reply).length, 1, `one "${reply}" in ${texts.join(' | ')}`);
    assert.ok(texts.indexOf('Great, thanks!') < ih && ih < ir, `demo history, then hello, then reply: ${texts.join(' | ')}`);
    assert.equal(ir, texts.length - 1, `the reply is the last message: ${texts.join(' | ')}`);
  }
});

/** The S3 server's answer to the browser's CORS preflight for a presigned PUT (for diagnoses). */
async function s3Preflight(s3: string, bucket: string): Promise<string> {
  try {
    const r = await fetch(`${s3}/${bucket}/preflight-probe.png`, {
      method: 'OPTIONS',
      headers: { Origin: base(), 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
      signal: AbortSignal.timeout(5000),
    });
    const body = (await r.text()).replace(/\s+/g, ' ').slice(0, 300);
    const allow = r.headers.get('access-control-allow-origin');
    return `CORS preflight of a PUT from ${base()} to the S3 server: ${r.status}, Access-Control-Allow-Origin ${allow ?? 'absent'}${allow ? '' : ` (${body}): the bucket needs a CORS configuration allowing PUT from the web origin`}`;
  } catch (e) {
    return `CORS preflight to the S3 server failed: ${(e as Error).message}`;
  }
}

test('an image alice sends is stored on the S3 server and shows for bob on another node', async () => {
  const s3 = readFileSync(path.join(dir, 's3', 'endpoint'), 'utf8').trim();
  const bucket = readFileSync(path.join(dir, 's3', 'bucket'), 'utf8').trim();
  const { a, b } = await aliceAndBobOnTwoNodes();
  await openRoom(a, GROUP);
  await openRoom(b, GROUP);
  const puts: string[] = [];
  a.on('request', (r) => {
    if (r.method() === 'PUT') puts.push(r.url());
  });

  const image = png(173, 97, 90);
  const caption = `a picture via S3 ${uniqueName('p')}`;
  await a.locator('[data-testid=file-input]').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: image });
  await a.locator('[data-testid=attachment-preview]').waitFor();
  await a.locator('[data-testid=composer]').fill(caption);
  await a.locator('[data-testid=send]').click();

  const mine = a.locator('[data-testid=message]').filter({ has: a.locator('[data-testid=message-image]') });
  await mine.and(a.locator('[data-tick]:not([data-tick=sending])')).waitFor({ timeout: 20_000 });
  if ((await mine.getAttribute('data-tick')) === 'failed') {
    const why = await mine.locator('xpath=..').getByRole('alert').innerText().catch(() => '');
    assert.fail(`image upload failed: ${why} (PUTs: ${puts.join(', ')}; ${await s3Preflight(s3, bucket)})`);
  }
  // The browser put the bytes on the S3 server itself (a presigned URL), not on a node.
  assert.equal(puts.length, 1, `one PUT: ${puts.join(', ')}`);
  assert.ok(puts[0]!.startsWith(`${s3}/${bucket}/`), `PUT to the S3 server ${s3}: ${puts[0]}`);

  // Bob, on another node, sees it loaded (not a broken link) and the caption after it.
  await message(b, caption).waitFor();
  const img = b.locator('[data-testid=message-image]');
  await img.waitFor();
  await b.waitForFunction(
    (w) => {
      const el = document.querySelector<HTMLImageElement>('[data-testid=message-image]');
      return !!el && el.complete && el.naturalWidth === w;
    },
    173,
  );
  const src = (await img.getAttribute('src')) ?? '';
  assert.ok(src.startsWith(`${base()}/media/`), `the image is served through HAProxy's /media/: ${src}`);

  // Through HAProxy, /media/{key} redirects to the S3 server, which has the very bytes sent.
  const r = await fetch(src, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  await r.arrayBuffer();
  assert.equal(r.status, 302, `GET ${src}`);
  const location = r.headers.get('location') ?? '';
  assert.ok(location.startsWith(`${s3}/${bucket}/`), `redirect to the S3 server: ${location}`);
  const obj = await fetch(location, { signal: AbortSignal.timeout(5000) });
  assert.equal(obj.status, 200, `GET ${location}`);
  assert.ok(Buffer.from(await obj.arrayBuffer()).equals(image), 'the S3 server holds the uploaded PNG');
  // And no node kept a copy in a local media directory.
  assert.equal(existsSync(path.join(dir, 'media')), false, 'no local media dir in cluster mode');
});
