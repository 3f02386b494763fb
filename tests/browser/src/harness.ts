// Starts the real `parley serve` (fresh data dir, free loopback port, the built web client as its
// static dir), like tests/e2e/src/harness.ts; readiness is polled on /readyz, never slept for.
// Also launches Debian's Chromium through playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const parleyBin = process.env.PARLEY_BIN ?? path.join(repoRoot, 'build', 'release', 'src', 'server', 'parley');
export const staticDir = process.env.PARLEY_WEB_DIR ?? path.join(repoRoot, 'web', 'dist', 'browser');
export const screenshotDir = process.env.SCREENSHOT_DIR ?? path.join(repoRoot, 'docs', 'screenshots');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function pollUntil<T>(what: string, f: () => Promise<T | false | undefined | null>, deadlineMs = 10_000, everyMs = 50): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      if (a && typeof a === 'object') s.close(() => resolve(a.port));
      else s.close(() => reject(new Error('no port')));
    });
  });
}

export class ParleyServer {
  private proc: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<void> | undefined;
  private alive = false;
  private expecting = false;

  private constructor(
    readonly port: number,
    readonly tmpDir: string,
    readonly args: string[],
    readonly env: Record<string, string>,
  ) {}

  get dataDir(): string {
    return path.join(this.tmpDir, 'data');
  }
  get logPath(): string {
    return path.join(this.tmpDir, 'server.log');
  }
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(args: string[] = [], env: Record<string, string> = {}): Promise<ParleyServer> {
    if (!existsSync(parleyBin)) throw new Error(`parley binary not found at ${parleyBin} (set PARLEY_BIN)`);
    if (!existsSync(path.join(staticDir, 'index.html'))) throw new Error(`web client not built: ${staticDir}/index.html missing (run scripts/web-build.sh)`);
    const root = path.join(os.tmpdir(), 'parley-browser');
    mkdirSync(root, { recursive: true });
    const srv = new ParleyServer(await freePort(), mkdtempSync(path.join(root, 'srv-')), args, env);
    await srv.launch();
    return srv;
  }

  async launch(): Promise<void> {
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    this.expecting = false;
    const proc = spawn(
      parleyBin,
      ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, '--static-dir', staticDir, ...this.args],
      { env: { ...process.env, PARLEY_AUTH_ARGON2: 'min', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    this.alive = true;
    proc.stdout!.pipe(this.log, { end: false });
    proc.stderr!.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        this.alive = false;
        if (!this.expecting) process.stderr.write(`[harness] parley exited unexpectedly (${code}, ${signal})\n${this.logTail()}\n`);
        resolve();
      }),
    );
    await pollUntil(
      '/readyz',
      async () => {
        if (!this.alive) throw new Error(`parley exited:\n${this.logTail()}`);
        const r = await fetch(`${this.base}/readyz`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        return r.status === 200;
      },
      15_000,
    );
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(): Promise<void> {
    this.expecting = true;
    if (!this.proc || !this.alive) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
    this.log?.end();
  }

  /** Stops and starts again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  cleanup(): void {
    if (!process.env.KEEP_E2E_TMP) rmSync(this.tmpDir, { recursive: true, force: true });
  }

  // --- REST helpers (seeding) ---
  async api<T = any>(method: string, p: string, token?: string, body?: unknown): Promise<{ status: number; json: T }> {
    const headers: Record<string, string> = {};
    if (token) headers['Authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    const text = await r.text();
    return { status: r.status, json: (text ? JSON.parse(text) : undefined) as T };
  }
}

export const PASSWORD = 'Sup3r$ecret';
let counter = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${(counter++).toString(36)}`;
}

export interface SeededUser {
  username: string;
  fullName: string;
  password: string;
  userId: string;
  accessToken: string;
}

/** Registers a user over REST (for the users a test does not drive through the UI). */
export async function seedUser(srv: ParleyServer, fullName: string, username = uniqueName(fullName.split(' ')[0]!.toLowerCase())): Promise<SeededUser> {
  const r = await srv.api('POST', '/auth/register', undefined, { fullName, username, email: `${username}@example.com`, password: PASSWORD });
  if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.json)}`);
  const me = await srv.api('GET', '/users/me', r.json.accessToken);
  return { username, fullName, password: PASSWORD, userId: me.json.userId, accessToken: r.json.accessToken };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // Background tabs and occluded windows must keep running timers and observers.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (apt-get install chromium)`);
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

// One server and one Chromium for a test file: started before its tests, stopped after them.
export function serverAndBrowser(args: string[] = [], env: Record<string, string> = {}): { readonly srv: ParleyServer; readonly browser: Browser } {
  const fx = {} as { srv: ParleyServer; browser: Browser };
  before(async () => {
    fx.srv = await ParleyServer.start(args, env);
    fx.browser = await launchBrowser();
  });
  after(async () => {
    await fx.browser?.close();
    await fx.srv?.stop();
    fx.srv?.cleanup();
  });
  return fx;
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function newUserContext(browser: Browser, viewport = DESKTOP): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC', isMobile: viewport === PHONE, hasTouch: viewport === PHONE });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  return { ctx, page };
}
