// STOMP clients for the tests.
//
// `connectStomp` drives the real @stomp/stompjs Client, over a raw WebSocket (`ws`) or over
// SockJS (`sockjs-client`, with a chosen transport). Every session subscribes to
// /user/queue/errors at once so that an application-level refusal of a SEND can be told apart
// from a RECEIPT. Subscriptions are confirmed with a RECEIPT before a test goes on, so nothing a
// test sends can race ahead of the subscription that should see it.
//
// `RawStomp` speaks the wire protocol by hand over `ws`, for protocol violations that a well-made
// client library would refuse to produce (oversized or malformed frames, missing CONNECT, ...).
import { Client, type IFrame, type IMessage, type IStompSocket, type StompHeaders } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import WebSocket from 'ws';
import type { StompTarget } from './harness.ts';
import { Collector, rand, withTimeout } from './util.ts';

export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export type SockJsTransport = 'websocket' | 'xhr-streaming' | 'xhr-polling';

export interface StompOptions {
  transport?: 'ws' | 'sockjs';
  /** SockJS transports to allow (only with transport 'sockjs'). */
  sockjsTransports?: SockJsTransport[];
  /** The SockJS session id to use instead of a random one (only with transport 'sockjs'). */
  sockjsSessionId?: string;
  /** CONNECT headers to use instead of the bearer token. */
  connectHeaders?: StompHeaders;
  heartbeatIncoming?: number;
  heartbeatOutgoing?: number;
  timeoutMs?: number;
  /** Do not subscribe to /user/queue/errors on connect. */
  noErrorQueue?: boolean;
}

/** The error event the server puts on /user/queue/errors when it refuses a SEND. */
export interface ErrorEvent {
  code: string;
  message: string;
  destination: string | null;
  receiptId: string | null;
}

export type SendResult = { ok: true; receipt: IFrame; messageId: string | undefined } | { ok: false; error: ErrorEvent };

export interface Subscription<T> extends Collector<T> {
  id: string;
  frames: IMessage[];
  unsubscribe(headers?: StompHeaders): void;
}

export class StompSession {
  errors = new Collector<ErrorEvent>('/user/queue/errors');
  readonly stompErrors = new Collector<IFrame>('ERROR frames');
  readonly closed: Promise<{ code?: number; reason?: string }>;
  private closedResolve!: (v: { code?: number; reason?: string }) => void;
  isClosed = false;
  connectedFrame: IFrame | undefined;

  constructor(
    readonly client: Client,
    readonly label: string,
  ) {
    this.closed = new Promise((r) => (this.closedResolve = r));
  }

  /** @internal */
  markClosed(ev: { code?: number; reason?: string }): void {
    this.isClosed = true;
    this.closedResolve(ev);
  }

  get connected(): boolean {
    return this.client.connected && !this.isClosed;
  }

  /** Subscribes, waits for the RECEIPT, and collects JSON bodies. */
  async subscribe<T = any>(destination: string, timeoutMs = 5000): Promise<Subscription<T>> {
    const col = new Collector<T>(destination) as Subscription<T>;
    col.frames = [];
    const receipt = `sub-${rand(8)}`;
    const got = new Promise<IFrame>((resolve) => this.client.watchForReceipt(receipt, resolve));
    const err = this.stompErrors.waitFor(() => true, timeoutMs + 1000).then((f) => {
      throw new Error(`SUBSCRIBE ${destination} got ERROR: ${f.headers['code']} ${f.headers['message']}`);
    });
    const sub = this.client.subscribe(
      destination,
      (m) => {
        col.frames.push(m);
        let body: any;
        try {
          body = JSON.parse(m.body);
        } catch {
          body = m.body;
        }
        col.push(body as T);
      },
      { receipt },
    );
    col.id = sub.id;
    col.unsubscribe = (h) => sub.unsubscribe(h);
    err.catch(() => undefined);
    await withTimeout(Promise.race([got, err]), timeoutMs, `RECEIPT for SUBSCRIBE ${destination} (${this.label})`);
    return col;
  }

  /** Fire-and-forget SEND of a JSON body. */
  publish(destination: string, body: unknown, headers: StompHeaders = {}): void {
    this.client.publish({
      destination,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  /**
   * SEND with a receipt header; resolves with the RECEIPT or with the error event for that
   * receipt id from /user/queue/errors, whichever comes first.
   */
  async send(destination: string, body: unknown, timeoutMs = 5000, headers: StompHeaders = {}): Promise<SendResult> {
    const receipt = `r-${rand(10)}`;
    const gotReceipt = new Promise<SendResult>((resolve) =>
      this.client.watchForReceipt(receipt, (f) => resolve({ ok: true, receipt: f, messageId: f.headers['message-id'] })),
    );
    const gotError = this.errors
      .waitFor((e) => e.receiptId === receipt, timeoutMs + 1000)
      .then((error): SendResult => ({ ok: false, error }));
    gotError.catch(() => undefined);
    this.publish(destination, body, { ...headers, receipt });
    return withTimeout(Promise.race([gotReceipt, gotError]), timeoutMs, `RECEIPT or error for SEND ${destination} (${this.label})`);
  }

  /** SEND that must succeed; returns the server message id from the RECEIPT. */
  async sendOk(destination: string, body: unknown, timeoutMs = 5000): Promise<string | undefined> {
    const r = await this.send(destination, body, timeoutMs);
    if (!r.ok) throw new Error(`SEND ${destination} refused: ${JSON.stringify(r.error)}`);
    return r.messageId;
  }

  /** Sends a chat message with a receipt and returns the server message id. */
  async sendMessage(chatRoomId: number, content: string, extra: Record<string, unknown> = {}): Promise<string> {
    const id = await this.sendOk('/app/chat.sendMessage', { chatRoomId, content, ...extra });
    if (!id) throw new Error('RECEIPT had no message-id header');
    return id;
  }

  /** Graceful DISCONNECT, falling back to dropping the socket. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      await withTimeout(this.client.deactivate(), 2000, 'graceful DISCONNECT');
    } catch {
      await this.client.deactivate({ force: true }).catch(() => undefined);
    }
    await withTimeout(this.closed, 2000, 'socket close').catch(() => undefined);
  }

  /** Drops the transport without DISCONNECT (like a network loss). */
  async drop(): Promise<void> {
    if (this.isClosed) return;
    await withTimeout(this.client.deactivate({ force: true }), 2000, 'forced close').catch(() => undefined);
    await withTimeout(this.closed, 2000, 'socket close').catch(() => undefined);
  }
}

function socketFactory(srv: StompTarget, opts: StompOptions): () => IStompSocket {
  if (opts.transport === 'sockjs') {
    return () =>
      new SockJS(srv.sockjsUrl, undefined, {
        transports: opts.sockjsTransports ?? ['websocket', 'xhr-streaming', 'xhr-polling'],
        timeout: 5000,
        ...(opts.sockjsSessionId ? { sessionId: () => opts.sockjsSessionId! } : {}),
      } as SockJS.Options) as unknown as IStompSocket;
  }
  return () => new WebSocket(srv.wsUrl, STOMP_SUBPROTOCOLS) as unknown as IStompSocket;
}

/**
 * Connects a @stomp/stompjs client with `Authorization: Bearer <token>`. Rejects with the ERROR
 * frame's headers if the server refuses the CONNECT.
 */
export async function connectStomp(srv: StompTarget, token: string | undefined, opts: StompOptions = {}): Promise<StompSession> {
  const client = new Client({
    webSocketFactory: socketFactory(srv, opts),
    connectHeaders: opts.connectHeaders ?? (token ? { Authorization: `Bearer ${token}` } : {}),
    reconnectDelay: 0,
    heartbeatIncoming: opts.heartbeatIncoming ?? 0,
    heartbeatOutgoing: opts.heartbeatOutgoing ?? 0,
    connectionTimeout: opts.timeoutMs ?? 8000,
    debug: () => undefined,
  });
  const session = new StompSession(client, `${opts.transport ?? 'ws'}${opts.sockjsTransports ? ':' + opts.sockjsTransports.join('+') : ''}`);
  srv.clients.add(session);
  session.closed.then(() => srv.clients.delete(session));
  const connected = new Promise<IFrame>((resolve, reject) => {
    client.onConnect = (f) => resolve(f);
    client.onStompError = (f) => {
      session.stompErrors.push(f);
      reject(new StompRefused(f));
    };
    client.onWebSocketClose = (ev: any) => {
      session.markClosed({ code: ev?.code, reason: ev?.reason });
      reject(new Error(`socket closed before CONNECTED (code ${ev?.code})`));
    };
    client.onWebSocketError = () => undefined;
  });
  connected.catch(() => undefined);
  client.activate();
  const frame = await withTimeout(connected, opts.timeoutMs ?? 8000, `CONNECTED (${session.label})`).catch(async (e) => {
    await client.deactivate({ force: true }).catch(() => undefined);
    throw e;
  });
  // After CONNECT, errors still go to stompErrors and closes to `closed`.
  client.onStompError = (f) => session.stompErrors.push(f);
  session.connectedFrame = frame;
  if (!opts.noErrorQueue) {
    const errs = await session.subscribe<ErrorEvent>('/user/queue/errors');
    session.errors = errs;
  }
  return session;
}

export class StompRefused extends Error {
  constructor(readonly frame: IFrame) {
    super(`STOMP ERROR: code=${frame.headers['code']} message=${frame.headers['message']}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw STOMP over ws

export interface RawFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

/** STOMP 1.2 header escaping. */
export function escapeHeader(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

function unescapeHeader(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'c' ? ':' : c === '\\' ? '\\' : '\\' + c));
}

export function encodeFrame(command: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [command, ...Object.entries(headers).map(([k, v]) => `${escapeHeader(k)}:${escapeHeader(v)}`)];
  return lines.join('\n') + '\n\n' + body + '\0';
}

/** Parses every complete frame in `buf`; returns frames and the unparsed rest. */
export function parseFrames(buf: string): { frames: RawFrame[]; rest: string; heartbeats: number } {
  const frames: RawFrame[] = [];
  let heartbeats = 0;
  let i = 0;
  for (;;) {
    while (i < buf.length && (buf[i] === '\n' || buf[i] === '\r')) {
      if (buf[i] === '\n') heartbeats++;
      i++;
    }
    if (i >= buf.length) return { frames, rest: '', heartbeats };
    const headEnd = buf.indexOf('\n\n', i);
    const headEndCr = buf.indexOf('\r\n\r\n', i);
    let hEnd: number;
    let sepLen: number;
    if (headEndCr !== -1 && (headEnd === -1 || headEndCr < headEnd)) {
      hEnd = headEndCr;
      sepLen = 4;
    } else if (headEnd !== -1) {
      hEnd = headEnd;
      sepLen = 2;
    } else {
      return { frames, rest: buf.slice(i), heartbeats };
    }
    const headLines = buf.slice(i, hEnd).split(/\r?\n/);
    const command = headLines[0]!;
    const headers: Record<string, string> = {};
    for (const line of headLines.slice(1)) {
      const c = line.indexOf(':');
      if (c < 0) continue;
      const k = unescapeHeader(line.slice(0, c));
      if (!(k in headers)) headers[k] = unescapeHeader(line.slice(c + 1));
    }
    const bodyStart = hEnd + sepLen;
    let bodyEnd: number;
    if (headers['content-length'] !== undefined) {
      // content-length counts bytes; measure in UTF-8.
      const want = Number(headers['content-length']);
      let bytes = 0;
      bodyEnd = bodyStart;
      while (bodyEnd < buf.length && bytes < want) {
        bytes += Buffer.byteLength(buf[bodyEnd]!);
        bodyEnd++;
      }
      if (bytes < want || buf[bodyEnd] !== '\0') {
        if (bodyEnd >= buf.length) return { frames, rest: buf.slice(i), heartbeats };
      }
    } else {
      bodyEnd = buf.indexOf('\0', bodyStart);
      if (bodyEnd === -1) return { frames, rest: buf.slice(i), heartbeats };
    }
    frames.push({ command, headers, body: buf.slice(bodyStart, bodyEnd) });
    i = bodyEnd + 1;
  }
}

/** A hand-driven STOMP connection over a raw WebSocket. */
export class RawStomp {
  readonly frames = new Collector<RawFrame>('raw frames');
  heartbeats = 0;
  private buf = '';
  readonly closed: Promise<{ code: number; reason: string }>;
  isClosed = false;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      this.buf += data.toString();
      const { frames, rest, heartbeats } = parseFrames(this.buf);
      this.buf = rest;
      this.heartbeats += heartbeats;
      for (const f of frames) this.frames.push(f);
    });
  }

  static async open(srv: StompTarget, protocols: string[] = STOMP_SUBPROTOCOLS): Promise<RawStomp> {
    const ws = new WebSocket(srv.wsUrl, protocols);
    const raw = new RawStomp(ws);
    srv.clients.add(raw);
    raw.closed.then(() => srv.clients.delete(raw));
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
      }),
      5000,
      'WebSocket open',
    );
    return raw;
  }

  /** Opens a socket and CONNECTs; resolves with CONNECTED or ERROR (whichever comes). */
  static async connect(srv: StompTarget, token: string | undefined, headers: Record<string, string> = {}): Promise<{ raw: RawStomp; frame: RawFrame }> {
    const raw = await RawStomp.open(srv);
    const h: Record<string, string> = { 'accept-version': '1.2,1.1,1.0', host: '127.0.0.1', 'heart-beat': '0,0', ...headers };
    if (token !== undefined) h['Authorization'] = `Bearer ${token}`;
    raw.send('CONNECT', h);
    const frame = await Promise.race([raw.waitFrame('CONNECTED'), raw.waitFrame('ERROR')]);
    return { raw, frame };
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  send(command: string, headers: Record<string, string> = {}, body = ''): void {
    this.sendRaw(encodeFrame(command, headers, body));
  }

  sendRaw(data: string | Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  /** Waits for a frame; fails at once if the socket closes without it (e.g. a bare WebSocket close). */
  waitFrame(command: string, pred: (f: RawFrame) => boolean = () => true, timeoutMs = 5000): Promise<RawFrame> {
    const match = (f: RawFrame) => f.command === command && pred(f);
    const got = this.frames.waitFor(match, timeoutMs, `${command} frame`);
    const closedFirst = this.closed.then((c) => {
      const f = this.frames.items.find(match);
      if (f) return f;
      throw new Error(
        `socket closed (WebSocket code ${c.code}${c.reason ? ` "${c.reason}"` : ''}) before the awaited ${command} frame; ` +
          `frames seen: ${this.frames.items.map((x) => x.command + (x.headers['code'] ? `(${x.headers['code']})` : '')).join(', ')}`,
      );
    });
    got.catch(() => undefined);
    closedFirst.catch(() => undefined);
    return Promise.race([got, closedFirst]);
  }

  /** Resolves once the server has closed the socket; rejects after the deadline. */
  waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return withTimeout(this.closed, timeoutMs, 'the server to close the socket');
  }

  close(): Promise<void> {
    if (!this.isClosed) this.ws.terminate();
    return this.closed.then(() => undefined);
  }
}
