// The one real-time connection: STOMP over SockJS to parley's /ws.
//
// - Exactly one STOMP subscription per destination, however many listeners (the original client
//   re-subscribed every room on every emission of the room list). Destinations are kept in a
//   registry and subscribed again, once, after each reconnect.
// - Reconnects with exponential backoff and jitter; the state is a signal the UI shows.
// - Before re-subscribing after a (re)connect it awaits `beforeSubscribe` (the app refreshes its
//   room list there, so it never subscribes to a room it has left while offline: the server
//   answers that with an ERROR and closes).
// - `send` with a receipt resolves with the server's `message-id` header, or rejects when
//   /user/queue/errors reports a refusal for that receipt, on timeout, or when the connection
//   drops (reason 'disconnected': the caller resends after the reconnect).
import { Injectable, InjectionToken, NgZone, inject, signal } from '@angular/core';
import { Client, IFrame, IMessage, IStompSocket, StompSubscription } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import { Observable, Subject } from 'rxjs';
import { AuthService, RefreshFailed } from './auth.service';
import { API_BASE } from './config';
import { QueueError } from './models';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** The part of @stomp/stompjs's Client this service uses (a fake implements it in tests). */
export interface StompClientLike {
  connected: boolean;
  connectHeaders: Record<string, string>;
  beforeConnect: (client: never) => void | Promise<void>;
  onConnect: (frame: IFrame) => void;
  onStompError: (frame: IFrame) => void;
  onWebSocketClose: (evt: unknown) => void;
  activate(): void;
  deactivate(options?: { force?: boolean }): Promise<void>;
  subscribe(destination: string, callback: (m: IMessage) => void, headers?: Record<string, string>): StompSubscription;
  publish(params: { destination: string; body?: string; headers?: Record<string, string> }): void;
  watchForReceipt(receiptId: string, callback: (frame: IFrame) => void): void;
}

export type StompClientFactory = (apiBase: string) => StompClientLike;

export const STOMP_CLIENT_FACTORY = new InjectionToken<StompClientFactory>('STOMP_CLIENT_FACTORY', {
  providedIn: 'root',
  factory: () => (apiBase: string) =>
    new Client({
      webSocketFactory: () =>
        new SockJS(`${apiBase}/ws`, null, { transports: ['websocket', 'xhr-streaming', 'xhr-polling'] }) as unknown as IStompSocket,
      reconnectDelay: 0, // this service schedules reconnects itself
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
      connectionTimeout: 10_000,
      debug: () => undefined,
    }) as unknown as StompClientLike,
});

/**
 * After a node's ERROR `SERVER_SHUTDOWN` (it is draining), reconnect at once, spread over this
 * many ms so that a drained node's clients do not all land on the survivors in the same instant.
 */
export const DRAIN_RECONNECT_SPREAD_MS = 1_000;

/** Backoff delays in ms: 0.5 s doubling to 15 s, ±20 % jitter. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class SendError extends Error {
  constructor(
    readonly reason: 'disconnected' | 'timeout' | 'refused',
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Registration {
  listeners: Set<(body: unknown, msg: IMessage) => void>;
  sub?: StompSubscription;
}

interface PendingReceipt {
  resolve: (messageId: string | undefined) => void;
  reject: (e: SendError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const ERRORS_QUEUE = '/user/queue/errors';
const RECEIPT_TIMEOUT_MS = 15_000;
const APP_HEARTBEAT_MS = 20_000;

@Injectable({ providedIn: 'root' })
export class ConnectionService {
  private readonly factory = inject(STOMP_CLIENT_FACTORY);
  private readonly base = inject(API_BASE);
  private readonly auth = inject(AuthService);
  private readonly zone = inject(NgZone);

  private readonly _state = signal<ConnectionState>('idle');
  readonly state = this._state.asReadonly();
  /** Epoch ms of the next reconnect attempt while reconnecting. */
  readonly nextRetryAt = signal<number | null>(null);
  readonly attempt = signal(0);
  /** Emits after every successful (re)connect, once subscriptions are in place. */
  readonly connected$ = new Subject<{ reconnect: boolean }>();
  /** Application errors from /user/queue/errors. */
  readonly errors$ = new Subject<QueueError>();

  /** Awaited after CONNECTED and before the registry's subscriptions are made. */
  beforeSubscribe: (() => Promise<void>) | null = null;

  private client: StompClientLike | null = null;
  private readonly registry = new Map<string, Registration>();
  private readonly receipts = new Map<string, PendingReceipt>();
  private running = false;
  private everConnected = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private generation = 0;
  private receiptSeq = 0;
  private forceRefresh = false;
  private serverDraining = false;

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => this.retryNow());
    }
  }

  get isConnected(): boolean {
    return this._state() === 'connected' && !!this.client?.connected;
  }

  /** Number of STOMP subscriptions currently active (for tests and diagnostics). */
  get activeSubscriptionCount(): number {
    let n = 0;
    for (const r of this.registry.values()) if (r.sub) n++;
    return n;
  }

  destinations(): string[] {
    return [...this.registry.keys()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.everConnected = false;
    this.attempt.set(0);
    this.open();
  }

  /** Closes the connection and forgets every subscription (logout). */
  stop(): void {
    this.running = false;
    this.generation++;
    this.clearTimers();
    this.failReceipts();
    this.registry.clear();
    const c = this.client;
    this.client = null;
    c?.deactivate().catch(() => undefined);
    this._state.set('idle');
    this.nextRetryAt.set(null);
  }

  /** Reconnects at once instead of waiting for the backoff timer. */
  retryNow(): void {
    if (!this.running || this._state() === 'connected' || this._state() === 'connecting') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  /**
   * Listens to a destination. The first listener makes the one STOMP subscription; removing the
   * last listener unsubscribes. Returns the function that removes this listener.
   */
  listen<T = unknown>(destination: string, handler: (body: T, msg: IMessage) => void): () => void {
    let reg = this.registry.get(destination);
    if (!reg) {
      reg = { listeners: new Set() };
      this.registry.set(destination, reg);
      if (this.isConnected) this.subscribeOne(destination, reg);
    }
    const h = handler as (body: unknown, msg: IMessage) => void;
    reg.listeners.add(h);
    return () => {
      const r = this.registry.get(destination);
      if (!r) return;
      r.listeners.delete(h);
      if (r.listeners.size === 0) this.drop(destination);
    };
  }

  /** The same as `listen`, as an Observable (unsubscribing removes the listener). */
  watch<T = unknown>(destination: string): Observable<T> {
    return new Observable<T>((sub) => this.listen<T>(destination, (body) => sub.next(body)));
  }

  /** Forgets a destination whatever its listeners (a room the user left). */
  drop(destination: string): void {
    const r = this.registry.get(destination);
    if (!r) return;
    this.registry.delete(destination);
    if (r.sub && this.client?.connected) {
      try {
        r.sub.unsubscribe();
      } catch {
        /* connection already gone */
      }
    }
  }

  /** Fire-and-forget SEND; false when not connected. */
  publish(destination: string, body: unknown): boolean {
    if (!this.isConnected || !this.client) return false;
    this.client.publish({ destination, body: JSON.stringify(body) });
    return true;
  }

  /** SEND with a receipt: resolves with the RECEIPT's `message-id` header. */
  send(destination: string, body: unknown, timeoutMs = RECEIPT_TIMEOUT_MS): Promise<string | undefined> {
    const client = this.client;
    if (!this.isConnected || !client) return Promise.reject(new SendError('disconnected', 'Not connected'));
    const receipt = `r-${Date.now().toString(36)}-${++this.receiptSeq}`;
    return new Promise<string | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.receipts.delete(receipt);
        reject(new SendError('timeout', 'No answer from the server'));
      }, timeoutMs);
      this.receipts.set(receipt, { resolve, reject, timer });
      client.watchForReceipt(receipt, (frame) => {
        const p = this.receipts.get(receipt);
        if (!p) return;
        this.receipts.delete(receipt);
        clearTimeout(p.timer);
        p.resolve(frame.headers['message-id']);
      });
      client.publish({ destination, body: JSON.stringify(body), headers: { receipt } });
    });
  }

  // ------------------------------------------------------------------------------------------

  private open(): void {
    if (!this.running) return;
    const gen = ++this.generation;
    this._state.set(this.everConnected || this.attempt() > 0 ? 'reconnecting' : 'connecting');
    this.nextRetryAt.set(null);
    const old = this.client;
    old?.deactivate({ force: true }).catch(() => undefined);
    const client = this.factory(this.base);
    this.client = client;
    client.beforeConnect = async () => {
      try {
        const token = this.forceRefresh ? await this.auth.refresh() : await this.auth.freshAccessToken();
        this.forceRefresh = false;
        client.connectHeaders = { Authorization: `Bearer ${token}` };
      } catch (e) {
        if (e instanceof RefreshFailed && e.fatal) {
          this.stop();
        } else {
          // stompjs gives up this attempt without a socket: schedule the next one ourselves.
          queueMicrotask(() => this.onClosed(gen));
        }
        throw e;
      }
    };
    client.onConnect = () => {
      if (gen !== this.generation) return;
      void this.onConnected(gen, client);
    };
    client.onStompError = (frame) => {
      if (gen !== this.generation) return;
      const code = frame.headers['code'];
      if (code === 'UNAUTHORIZED') this.forceRefresh = true;
      if (code === 'SERVER_SHUTDOWN') this.serverDraining = true;
    };
    client.onWebSocketClose = () => {
      if (gen !== this.generation) return;
      this.onClosed(gen);
    };
    try {
      client.activate();
    } catch {
      this.onClosed(gen);
    }
  }

  private async onConnected(gen: number, client: StompClientLike): Promise<void> {
    const reconnect = this.everConnected;
    const errorsSub = client.subscribe(ERRORS_QUEUE, (m) => this.onQueueError(m));
    void errorsSub;
    if (this.beforeSubscribe) {
      try {
        await this.beforeSubscribe();
      } catch {
        /* keep going: the registry is the best we know */
      }
    }
    if (gen !== this.generation || !client.connected) return;
    for (const [dest, reg] of this.registry) {
      reg.sub = undefined;
      this.subscribeOne(dest, reg, client);
    }
    this.everConnected = true;
    this.attempt.set(0);
    this._state.set('connected');
    this.startHeartbeat(client);
    this.connected$.next({ reconnect });
  }

  private subscribeOne(dest: string, reg: Registration, client = this.client): void {
    if (!client) return;
    reg.sub = client.subscribe(dest, (m) => {
      let body: unknown = m.body;
      try {
        body = JSON.parse(m.body);
      } catch {
        /* not JSON: pass the text */
      }
      this.zone.run(() => {
        for (const l of [...reg.listeners]) l(body, m);
      });
    });
  }

  private onQueueError(m: IMessage): void {
    let e: QueueError;
    try {
      e = JSON.parse(m.body) as QueueError;
    } catch {
      return;
    }
    if (e.receiptId) {
      const p = this.receipts.get(e.receiptId);
      if (p) {
        this.receipts.delete(e.receiptId);
        clearTimeout(p.timer);
        p.reject(new SendError('refused', e.message || e.code, e.code));
      }
    }
    this.zone.run(() => this.errors$.next(e));
  }

  private onClosed(gen: number): void {
    if (gen !== this.generation || !this.running) return;
    this.generation++;
    this.clearTimers();
    this.failReceipts();
    for (const reg of this.registry.values()) reg.sub = undefined;
    // A draining node is not a failure: the load balancer has a healthy node for us right now.
    const draining = this.serverDraining;
    this.serverDraining = false;
    const attempt = draining ? 0 : this.attempt() + 1;
    this.attempt.set(attempt);
    const delay = draining ? Math.round(Math.random() * DRAIN_RECONNECT_SPREAD_MS) : backoffDelay(attempt);
    this._state.set('reconnecting');
    this.nextRetryAt.set(Date.now() + delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private startHeartbeat(client: StompClientLike): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      if (client.connected) client.publish({ destination: '/app/heartbeat', body: '{}' });
    }, APP_HEARTBEAT_MS);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.retryTimer = null;
    this.heartbeatTimer = null;
  }

  private failReceipts(): void {
    for (const [, p] of this.receipts) {
      clearTimeout(p.timer);
      p.reject(new SendError('disconnected', 'Connection lost'));
    }
    this.receipts.clear();
  }
}
