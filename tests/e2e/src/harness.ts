// Starts a real `parley serve` process on a free loopback port with a fresh data directory, and
// gives tests an HTTP client and a way to make users. Readiness is polled on /readyz with a
// deadline; there are no fixed sleeps. Output goes to a log file whose tail is printed when the
// server fails to start or dies under a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil, uniqueName, withTimeout } from './util.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const parleyBin = process.env.PARLEY_BIN ?? path.join(repoRoot, 'build', 'release', 'src', 'server', 'parley');

/**
 * Set (a DSN, e.g. from scripts/mariadb.sh) to run every server on MariaDB instead of SQLite:
 * each ParleyServer gets its own fresh database on that server, kept across its restarts.
 */
const mariadbServerDsn = process.env.PARLEY_E2E_MARIADB_DSN;
export const storageBackend = mariadbServerDsn ? 'mariadb' : 'sqlite';

/**
 * Set as well (host:port, e.g. from scripts/redis.sh) to run every server as a cluster node: fan-out,
 * presence, the username filter and the limiters through Redis, each server under a key prefix
 * of its own.
 */
const redisAddress = process.env.PARLEY_E2E_REDIS;
export const clustered = Boolean(redisAddress);

/**
 * Set to N > 1 as well to make every server a cluster of N nodes behind HAProxy (round robin, a
 * SockJS session's requests kept on its node): every request and every socket of a test may land
 * on any node. The nodes share the database, the Redis prefix, the signing keys and the media
 * directory, as the README's cluster section asks.
 */
export const nodeCount = Number(process.env.PARLEY_E2E_NODES ?? '1');

/**
 * Set (bootstrap host:port, e.g. from scripts/kafka.sh) as well to send the message path through
 * the Kafka log: each server gets a topic and a consumer group of its own and one `parley
 * persist` worker, started before its nodes and stopped after them.
 */
const kafkaBootstrap = process.env.PARLEY_E2E_KAFKA;
export const viaKafka = Boolean(kafkaBootstrap);

/** The storage environment of one server: its own database when the suite runs on MariaDB. */
function storageEnv(): Record<string, string> {
  if (!mariadbServerDsn) {
    if (redisAddress) throw new Error('PARLEY_E2E_REDIS needs PARLEY_E2E_MARIADB_DSN');
    if (nodeCount > 1) throw new Error('PARLEY_E2E_NODES needs PARLEY_E2E_REDIS and PARLEY_E2E_MARIADB_DSN');
    return {};
  }
  const dsn = new URL(mariadbServerDsn);
  dsn.pathname = `/${uniqueName('e2e').replace(/[^A-Za-z0-9_]/g, '_')}`;
  const env: Record<string, string> = { PARLEY_STORAGE_BACKEND: 'mariadb', PARLEY_STORAGE_MARIADB_DSN: dsn.toString() };
  if (redisAddress) {
    env.PARLEY_CLUSTER_REDIS = redisAddress;
    env.PARLEY_CLUSTER_PREFIX = `${uniqueName('e2e')}:`;
  }
  if (kafkaBootstrap) {
    if (!redisAddress) throw new Error('PARLEY_E2E_KAFKA needs PARLEY_E2E_REDIS');
    const topic = uniqueName('e2e').replace(/[^A-Za-z0-9_]/g, '_');
    env.PARLEY_CLUSTER_KAFKA = kafkaBootstrap;
    env.PARLEY_CLUSTER_KAFKA_TOPIC = topic;
    env.PARLEY_CLUSTER_KAFKA_GROUP = `${topic}-persist`;
    env.PARLEY_CLUSTER_KAFKA_PARTITIONS = '2';
  }
  return env;
}

const START_DEADLINE_MS = 15_000;
const STOP_DEADLINE_MS = 10_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      if (addr && typeof addr === 'object') {
        const { port } = addr;
        s.close(() => resolve(port));
      } else {
        s.close(() => reject(new Error('no port')));
      }
    });
  });
}

export interface ServerOptions {
  /** Extra environment for the server process (e.g. shorter token lifetimes). */
  env?: Record<string, string>;
  /** Extra command-line arguments after `serve ...`. */
  args?: string[];
  /** Nodes behind HAProxy (default PARLEY_E2E_NODES, else 1: the process itself is the server). */
  nodes?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Something the server must close (a STOMP client) when the server is stopped. */
export interface Closable {
  close(): Promise<void> | void;
}

/** Where a STOMP client connects: a server (through HAProxy if it has several nodes) or one node. */
export interface StompTarget {
  readonly wsUrl: string;
  readonly sockjsUrl: string;
  readonly clients: Set<Closable>;
}

/** A listener on loopback: its URLs and an HTTP client of it. */
abstract class LoopbackListener implements StompTarget {
  abstract readonly port: number;
  readonly clients = new Set<Closable>();

  get httpBase(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws/websocket`;
  }
  get sockjsUrl(): string {
    return `http://127.0.0.1:${this.port}/ws`;
  }

  /** An HTTP client, anonymous or with a bearer token. */
  api(token?: string): Api {
    return new Api(this.httpBase, token);
  }
}

/**
 * One process with a log file: a parley node or HAProxy. Waits for readiness after start, reports
 * an exit nobody asked for with the log's tail.
 */
export class NodeProcess extends LoopbackListener {
  private proc: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private exitInfo: ExitInfo | undefined;
  private expectingExit = false;
  private starts = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly logPath: string,
    private readonly command: () => { bin: string; args: string[]; env: NodeJS.ProcessEnv },
    private readonly isReady: () => Promise<boolean>,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.starts++;
    this.exitInfo = undefined;
    this.expectingExit = false;
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    this.log.write(`\n===== start #${this.starts} on port ${this.port} at ${new Date().toISOString()} =====\n`);
    const { bin, args, env } = this.command();
    const proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.pipe(this.log, { end: false });
    proc.stderr!.pipe(this.log, { end: false });
    this.exited = new Promise<ExitInfo>((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        if (!this.expectingExit) {
          process.stderr.write(
            `\n[harness] ${this.name} exited unexpectedly (code ${code}, signal ${signal}); log tail:\n${this.logTail()}\n`,
          );
        }
        resolve({ code, signal });
      });
      proc.on('error', (err) => {
        this.exitInfo = { code: -1, signal: null };
        this.log?.write(`[harness] spawn error: ${err.message}\n`);
        resolve({ code: -1, signal: null });
      });
    });
    const exitedFirst = this.exited.then((info) => {
      throw new Error(`${this.name} exited with ${JSON.stringify(info)}`);
    });
    try {
      await Promise.race([pollUntil(`${this.name} to be ready`, () => this.isReady(), START_DEADLINE_MS), exitedFirst]);
    } catch (e) {
      await this.kill().catch(() => undefined);
      throw new Error(`${this.name} did not become ready: ${(e as Error).message}\n--- log tail (${this.logPath}) ---\n${this.logTail()}`);
    }
  }

  /** True while the process we started is still running. */
  get running(): boolean {
    return this.proc !== undefined && this.exitInfo === undefined;
  }

  /** The exit of a process that died without being asked to. */
  get diedOnItsOwn(): ExitInfo | undefined {
    return this.exitInfo && !this.expectingExit ? this.exitInfo : undefined;
  }

  logTail(lines = 40): string {
    try {
      const all = readFileSync(this.logPath, 'utf8').split('\n');
      return all.slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, wait for exit (SIGKILL after a deadline). */
  async stop(): Promise<ExitInfo> {
    const info = await this.signalAndWait('SIGTERM');
    this.log?.end();
    return info;
  }

  /** SIGKILL (crash simulation); waits for the process to be gone. */
  async kill(): Promise<ExitInfo> {
    return this.signalAndWait('SIGKILL');
  }

  private async signalAndWait(sig: NodeJS.Signals): Promise<ExitInfo> {
    this.expectingExit = true;
    if (!this.proc || !this.exited) return { code: null, signal: null };
    if (this.exitInfo) return this.exitInfo;
    this.proc.kill(sig);
    try {
      return await withTimeout(this.exited, STOP_DEADLINE_MS, `${this.name} to exit after ${sig}`);
    } catch {
      process.stderr.write(`[harness] ${this.name} did not exit within ${STOP_DEADLINE_MS} ms of ${sig}; sending SIGKILL\n`);
      this.proc.kill('SIGKILL');
      return await this.exited;
    }
  }
}

async function answers200(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await r.arrayBuffer();
  return r.status === 200;
}

/**
 * HAProxy in front of the nodes, as deploy/haproxy/parley.cfg describes (the same directives):
 * round robin, /readyz health checks, a SockJS session's HTTP requests kept on the node that
 * holds it, a refused connection retried on another node.
 */
function haproxyConfig(port: number, nodes: NodeProcess[]): string {
  const template = readFileSync(path.join(repoRoot, 'deploy', 'haproxy', 'parley.cfg'), 'utf8');
  const servers = nodes.map((n, i) => `    server node${i + 1} 127.0.0.1:${n.port} check`).join('\n');
  return template
    .replace(/^(\s*bind\s+)\S+/m, `$1127.0.0.1:${port}`)
    .replace(/^\s*server .*$(\n^\s*server .*$)*/m, servers);
}

export class ParleyServer extends LoopbackListener {
  /** Where clients connect: the node itself, or HAProxy in front of the nodes. */
  readonly port: number;
  readonly tmpDir: string;
  /** The first node's data directory. */
  readonly dataDir: string;
  readonly nodes: NodeProcess[];
  /** What every process of this server gets: its database, Redis prefix, Kafka topic and group. */
  readonly storage: Record<string, string>;
  /** The persistence worker (`parley persist`) when the suite runs through Kafka. */
  readonly worker: NodeProcess | undefined;
  private readonly haproxy: NodeProcess | undefined;

  private constructor(
    tmpDir: string,
    nodePorts: number[],
    haproxyPort: number | undefined,
    workerPort: number | undefined,
    readonly options: ServerOptions,
  ) {
    super();
    this.tmpDir = tmpDir;
    const storage = storageEnv();
    this.storage = storage;
    const shared: Record<string, string> =
      nodePorts.length > 1
        ? {
            PARLEY_AUTH_KEYS_DIR: path.join(tmpDir, 'keys'),
            PARLEY_MEDIA_DIR: path.join(tmpDir, 'media'),
            PARLEY_SERVER_TRUSTED_PROXIES: '127.0.0.1', // HAProxy's address as the nodes see it
          }
        : {};
    this.nodes = nodePorts.map((port, i) => {
      const name = nodePorts.length > 1 ? `parley node ${i + 1}` : 'parley';
      const dataDir = path.join(tmpDir, nodePorts.length > 1 ? `node${i + 1}` : 'data');
      const logPath = path.join(tmpDir, nodePorts.length > 1 ? `node${i + 1}.log` : 'server.log');
      return new NodeProcess(
        name,
        port,
        logPath,
        () => ({
          bin: parleyBin,
          args: ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...(options.args ?? [])],
          env: { ...process.env, PARLEY_AUTH_ARGON2: 'min', ...storage, ...shared, ...options.env },
        }),
        () => answers200(`http://127.0.0.1:${port}/readyz`),
      );
    });
    this.dataDir = path.join(tmpDir, nodePorts.length > 1 ? 'node1' : 'data');
    if (workerPort !== undefined) {
      this.worker = new NodeProcess(
        'parley persist',
        workerPort,
        path.join(tmpDir, 'persist.log'),
        () => ({
          bin: parleyBin,
          args: ['persist'],
          env: {
            ...process.env,
            ...storage,
            ...options.env,
            PARLEY_CLUSTER_PERSIST_LISTEN: `127.0.0.1:${workerPort}`,
            // Static membership: restarted after a kill, it takes its partitions back at once.
            PARLEY_CLUSTER_PERSIST_INSTANCE: `${storage.PARLEY_CLUSTER_KAFKA_GROUP}-1`,
          },
        }),
        () => answers200(`http://127.0.0.1:${workerPort}/readyz`),
      );
    }
    if (haproxyPort !== undefined) {
      const cfg = path.join(tmpDir, 'haproxy.cfg');
      writeFileSync(cfg, haproxyConfig(haproxyPort, this.nodes));
      this.haproxy = new NodeProcess(
        'haproxy',
        haproxyPort,
        path.join(tmpDir, 'haproxy.log'),
        () => ({ bin: 'haproxy', args: ['-db', '-f', cfg], env: process.env }),
        () => answers200(`http://127.0.0.1:${haproxyPort}/readyz`),
      );
    }
    this.port = haproxyPort ?? nodePorts[0]!;
  }

  static async start(options: ServerOptions = {}): Promise<ParleyServer> {
    if (!existsSync(parleyBin)) {
      throw new Error(`parley binary not found at ${parleyBin} (set PARLEY_BIN or build the release preset)`);
    }
    const n = options.nodes ?? nodeCount;
    const tmpRoot = path.join(os.tmpdir(), 'parley-e2e');
    mkdirSync(tmpRoot, { recursive: true });
    const tmpDir = mkdtempSync(path.join(tmpRoot, 'srv-'));
    const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
    const srv = new ParleyServer(tmpDir, ports, n > 1 ? await freePort() : undefined, viaKafka ? await freePort() : undefined, options);
    await srv.launch();
    return srv;
  }

  private async launch(): Promise<void> {
    if (this.worker && !this.worker.running) await this.worker.start();
    await Promise.all(this.nodes.filter((n) => !n.running).map((n) => n.start()));
    if (this.haproxy && !this.haproxy.running) await this.haproxy.start();
    // Through HAProxy as well: ready once it routes to a node again (after a restart of them all).
    if (this.haproxy) await pollUntil('HAProxy to route to a node', () => answers200(`${this.httpBase}/readyz`).catch(() => false), START_DEADLINE_MS);
  }

  /** True while every process we started is still running. */
  get running(): boolean {
    return this.nodes.every((n) => n.running) && (this.haproxy?.running ?? true) && (this.worker?.running ?? true);
  }

  get logPath(): string {
    return this.nodes[0]!.logPath;
  }

  logTail(lines = 40): string {
    if (this.nodes.length === 1) return this.nodes[0]!.logTail(lines);
    return [...this.nodes, ...(this.worker ? [this.worker] : []), ...(this.haproxy ? [this.haproxy] : [])]
      .map((n) => `--- ${n.name} ---\n${n.logTail(lines)}`)
      .join('\n');
  }

  private async closeClients(): Promise<void> {
    const all = [this.clients, ...this.nodes.map((n) => n.clients)].flatMap((set) => [...set]);
    this.clients.clear();
    for (const n of this.nodes) n.clients.clear();
    await Promise.all(all.map((c) => Promise.resolve(c.close()).catch(() => undefined)));
  }

  /** SIGTERM to every node, wait for exits (SIGKILL after a deadline); the first node's exit. Throws if a node had died on its own. */
  async stop(opts: { closeClients?: boolean } = {}): Promise<ExitInfo> {
    if (opts.closeClients !== false) await this.closeClients();
    const died = [...this.nodes, ...(this.worker ? [this.worker] : [])].map((n) => n.diedOnItsOwn).find((d) => d !== undefined);
    const exits = await Promise.all(this.nodes.map((n) => n.stop()));
    // After the nodes: a draining node waits for the verdicts of what it produced.
    if (this.worker) exits.push(await this.worker.stop());
    if (died) {
      throw new Error(`parley had exited unexpectedly during the tests: ${JSON.stringify(died)}\n${this.logTail()}`);
    }
    return exits.find((e) => e.code !== 0) ?? exits[0]!;
  }

  /** SIGKILL to every node (crash simulation); waits for the processes to be gone. */
  async kill(): Promise<ExitInfo> {
    // The worker too: what it had committed but not acknowledged to Kafka is replayed at restart.
    const exits = await Promise.all([...this.nodes, ...(this.worker ? [this.worker] : [])].map((n) => n.kill()));
    return exits[0]!;
  }

  /** Starts every stopped node again, on the same ports and data directories. */
  async restart(): Promise<void> {
    if (this.nodes.some((n) => n.running) || this.worker?.running) await this.stop();
    await this.launch();
  }

  /** Stops HAProxy and removes the temporary directory (kept when KEEP_E2E_TMP is set). */
  async cleanup(): Promise<void> {
    await this.haproxy?.stop();
    if (!process.env.KEEP_E2E_TMP) rmSyncSafe(this.tmpDir);
  }
}

function rmSyncSafe(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

/** Starts a server; pair with `stopServer` in an `after` hook. */
export async function startServer(options: ServerOptions = {}): Promise<ParleyServer> {
  return ParleyServer.start(options);
}

export async function stopServer(srv: ParleyServer | undefined): Promise<void> {
  if (!srv) return;
  try {
    await srv.stop();
  } finally {
    await srv.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface ApiResponse<T = any> {
  status: number;
  json: T;
  text: string;
  headers: Headers;
}

export interface RequestOptions {
  /** JSON-serialised into the body. */
  body?: unknown;
  /** Sent as is (takes precedence over `body`). */
  raw?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export class Api {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  withToken(token: string | undefined): Api {
    return new Api(this.base, token);
  }

  async request<T = any>(method: string, p: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.token && !('authorization' in lower(headers))) headers['Authorization'] = `Bearer ${this.token}`;
    let body: string | Uint8Array | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    const r = await fetch(this.base + p, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    const text = await r.text();
    let json: any;
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: r.status, json, text, headers: r.headers };
  }

  get<T = any>(p: string, opts?: RequestOptions) {
    return this.request<T>('GET', p, opts);
  }
  post<T = any>(p: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', p, { ...opts, body });
  }
  put<T = any>(p: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', p, { ...opts, body });
  }
  patch<T = any>(p: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', p, { ...opts, body });
  }
  delete<T = any>(p: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', p, opts);
  }
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Formats a response for assertion messages. */
export function show(r: ApiResponse): string {
  return `HTTP ${r.status} ${r.text.length > 600 ? r.text.slice(0, 600) + '…' : r.text}`;
}

// ---------------------------------------------------------------------------------------------
// Users

export interface NewUser {
  fullName: string;
  username: string;
  email: string;
  password: string;
  bio?: string;
}

export interface TestUser extends NewUser {
  userId: string;
  accessToken: string;
  refreshToken: string;
  /** An Api carrying this user's access token. */
  api: Api;
}

export const GOOD_PASSWORD = 'Sup3r$ecret';

export function newUserFields(overrides: Partial<NewUser> = {}): NewUser {
  const username = overrides.username ?? uniqueName('u');
  return {
    fullName: `Test ${username}`,
    username,
    email: `${username}@example.com`,
    password: GOOD_PASSWORD,
    ...overrides,
  };
}

/** Registers a user (201 expected) and reads its id from GET /users/me. */
export async function register(api: Api, fields: Partial<NewUser> = {}): Promise<TestUser> {
  const f = newUserFields(fields);
  const r = await api.withToken(undefined).post('/auth/register', f);
  if (r.status !== 201 || !r.json?.accessToken || !r.json?.refreshToken) {
    throw new Error(`register ${f.username} failed: ${show(r)}`);
  }
  const authed = api.withToken(r.json.accessToken);
  const me = await authed.get('/users/me');
  if (me.status !== 200 || !me.json?.userId) throw new Error(`GET /users/me failed: ${show(me)}`);
  return { ...f, userId: me.json.userId, accessToken: r.json.accessToken, refreshToken: r.json.refreshToken, api: authed };
}

export async function registerMany(api: Api, n: number): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => register(api)));
}

export type RoomType = 'PUBLIC' | 'PRIVATE' | 'DIRECT_MESSAGE';

/** Creates a room as `owner` with the given members; asserts 201/200 and returns the room JSON. */
export async function createRoom(
  owner: TestUser,
  members: TestUser[],
  type: RoomType = 'PRIVATE',
  extra: Record<string, unknown> = {},
): Promise<any> {
  const r = await owner.api.post('/chat/rooms', {
    type,
    name: type === 'DIRECT_MESSAGE' ? 'DM' : `room ${uniqueName('r')}`,
    description: 'e2e room',
    memberIds: members.map((m) => m.userId),
    ...extra,
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create room failed: ${show(r)}`);
  return r.json;
}

/** Posts a message over REST (the same pipeline as STOMP). Retries on 429 after Retry-After. */
export async function postMessage(user: TestUser, chatId: number, content: string, extra: Record<string, unknown> = {}): Promise<any> {
  for (let attempt = 0; ; attempt++) {
    const r = await user.api.post(`/chat/rooms/${chatId}/messages`, { content, ...extra });
    if (r.status === 201) return r.json;
    if (r.status === 429 && attempt < 50) {
      const ra = Number(r.headers.get('retry-after') ?? '0');
      await new Promise((res) => setTimeout(res, Math.max(50, Math.min(ra * 1000, 1000))));
      continue;
    }
    throw new Error(`POST message failed: ${show(r)}`);
  }
}
