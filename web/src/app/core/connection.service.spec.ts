import { TestBed } from '@angular/core/testing';
import { IFrame, IMessage, StompSubscription } from '@stomp/stompjs';
import { AuthService } from './auth.service';
import { API_BASE } from './config';
import { ConnectionService, STOMP_CLIENT_FACTORY, SendError, StompClientLike, backoffDelay, DRAIN_RECONNECT_SPREAD_MS } from './connection.service';

/** A stand-in for @stomp/stompjs's Client that records what the service does with it. */
class FakeClient implements StompClientLike {
  connected = false;
  connectHeaders: Record<string, string> = {};
  beforeConnect: (client: never) => void | Promise<void> = () => undefined;
  onConnect: (frame: IFrame) => void = () => undefined;
  onStompError: (frame: IFrame) => void = () => undefined;
  onWebSocketClose: (evt: unknown) => void = () => undefined;
  subs = new Map<string, { destination: string; cb: (m: IMessage) => void; active: boolean }>();
  published: { destination: string; body?: string; headers?: Record<string, string> }[] = [];
  receipts = new Map<string, (f: IFrame) => void>();
  activated = 0;
  private seq = 0;

  activate(): void {
    this.activated++;
    void this.beforeConnect(undefined as never);
  }
  async deactivate(): Promise<void> {
    this.connected = false;
  }
  subscribe(destination: string, cb: (m: IMessage) => void): StompSubscription {
    const id = `sub-${++this.seq}`;
    this.subs.set(id, { destination, cb, active: true });
    return { id, unsubscribe: () => (this.subs.get(id)!.active = false) } as StompSubscription;
  }
  publish(p: { destination: string; body?: string; headers?: Record<string, string> }): void {
    this.published.push(p);
  }
  watchForReceipt(id: string, cb: (f: IFrame) => void): void {
    this.receipts.set(id, cb);
  }

  // --- test controls ---
  async connect(): Promise<void> {
    await Promise.resolve();
    this.connected = true;
    this.onConnect({} as IFrame);
    await vi.advanceTimersByTimeAsync(0);
  }
  drop(): void {
    this.connected = false;
    this.onWebSocketClose({});
  }
  active(dest?: string) {
    return [...this.subs.values()].filter((s) => s.active && (!dest || s.destination === dest));
  }
  deliver(dest: string, body: unknown): void {
    for (const s of this.active(dest)) s.cb({ body: JSON.stringify(body), headers: {} } as IMessage);
  }
  receipt(id: string, headers: Record<string, string>): void {
    this.receipts.get(id)?.({ headers } as unknown as IFrame);
  }
}

describe('ConnectionService', () => {
  let clients: FakeClient[];
  let conn: ConnectionService;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    clients = [];
    TestBed.configureTestingModule({
      providers: [
        { provide: API_BASE, useValue: 'http://test' },
        { provide: AuthService, useValue: { freshAccessToken: async () => 'token-1', refresh: async () => 'token-2' } },
        {
          provide: STOMP_CLIENT_FACTORY,
          useValue: () => {
            const c = new FakeClient();
            clients.push(c);
            return c;
          },
        },
      ],
    });
    conn = TestBed.inject(ConnectionService);
  });

  afterEach(() => {
    conn.stop();
    vi.useRealTimers();
  });

  const last = () => clients[clients.length - 1];

  it('connects with the access token and reports the state', async () => {
    expect(conn.state()).toBe('idle');
    conn.start();
    expect(conn.state()).toBe('connecting');
    await vi.advanceTimersByTimeAsync(0);
    expect(last().connectHeaders['Authorization']).toBe('Bearer token-1');
    await last().connect();
    expect(conn.state()).toBe('connected');
    expect(last().active('/user/queue/errors').length).toBe(1);
  });

  it('makes exactly one STOMP subscription per destination, however many listeners', async () => {
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    const got: unknown[] = [];
    const offs = [1, 2, 3].map(() => conn.listen('/topic/rooms/5', (b) => got.push(b)));
    conn.listen('/topic/rooms/5/typing', () => undefined);
    expect(last().active('/topic/rooms/5').length).toBe(1);
    last().deliver('/topic/rooms/5', { n: 1 });
    expect(got).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    offs[0]();
    offs[1]();
    expect(last().active('/topic/rooms/5').length).toBe(1);
    offs[2]();
    expect(last().active('/topic/rooms/5').length).toBe(0);
    expect(conn.activeSubscriptionCount).toBe(1);
  });

  it('subscribes listeners registered while offline once connected, after beforeSubscribe', async () => {
    const order: string[] = [];
    conn.beforeSubscribe = async () => {
      order.push(`before:${last().active('/topic/rooms/1').length}`);
    };
    conn.listen('/topic/rooms/1', () => undefined);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    order.push(`after:${last().active('/topic/rooms/1').length}`);
    expect(order).toEqual(['before:0', 'after:1']);
  });

  it('reconnects with backoff and re-subscribes each destination exactly once', async () => {
    const events: boolean[] = [];
    conn.connected$.subscribe((e) => events.push(e.reconnect));
    conn.listen('/topic/rooms/1', () => undefined);
    conn.listen('/topic/rooms/2', () => undefined);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    last().drop();
    expect(conn.state()).toBe('reconnecting');
    expect(conn.nextRetryAt()).not.toBeNull();
    expect(clients.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(clients.length).toBe(2);
    await last().connect();
    expect(conn.state()).toBe('connected');
    expect(last().active('/topic/rooms/1').length).toBe(1);
    expect(last().active('/topic/rooms/2').length).toBe(1);
    expect(last().active().length).toBe(3); // two rooms + the error queue
    expect(events).toEqual([false, true]);
  });

  it('backs off exponentially up to a ceiling', () => {
    const mid = () => 0.5;
    expect(backoffDelay(1, mid)).toBe(500);
    expect(backoffDelay(2, mid)).toBe(1000);
    expect(backoffDelay(4, mid)).toBe(4000);
    expect(backoffDelay(20, mid)).toBe(15000);
    expect(backoffDelay(1, () => 0)).toBe(400);
    expect(backoffDelay(1, () => 1)).toBe(600);
  });

  it('resolves a send with the RECEIPT message-id', async () => {
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    const p = conn.send('/app/chat.sendMessage', { chatRoomId: 1, content: 'hi', clientMessageId: 'c1' });
    const sent = last().published.at(-1)!;
    expect(JSON.parse(sent.body!)).toEqual({ chatRoomId: 1, content: 'hi', clientMessageId: 'c1' });
    last().receipt(sent.headers!['receipt'], { 'message-id': '01ABC' });
    await expect(p).resolves.toBe('01ABC');
  });

  it('rejects a send refused on /user/queue/errors, and one cut off by a disconnect', async () => {
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    const refused = conn.send('/app/chat.sendMessage', { chatRoomId: 1, content: 'hi' });
    const rid = last().published.at(-1)!.headers!['receipt'];
    last().deliver('/user/queue/errors', { code: 'RATE_LIMITED', message: 'slow down', destination: '/app/chat.sendMessage', receiptId: rid });
    await expect(refused).rejects.toMatchObject({ reason: 'refused', code: 'RATE_LIMITED' });

    const cut = conn.send('/app/chat.sendMessage', { chatRoomId: 1, content: 'again' });
    last().drop();
    await expect(cut).rejects.toBeInstanceOf(SendError);
    await expect(cut).rejects.toMatchObject({ reason: 'disconnected' });
  });

  it('refuses to send while disconnected and publishes nothing', async () => {
    expect(conn.publish('/app/chat.typing', { chatId: 1, typing: true })).toBe(false);
    await expect(conn.send('/app/chat.sendMessage', {})).rejects.toMatchObject({ reason: 'disconnected' });
  });

  it('refreshes the token before reconnecting after an UNAUTHORIZED error', async () => {
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    last().onStompError({ headers: { code: 'UNAUTHORIZED' } } as unknown as IFrame);
    last().drop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(last().connectHeaders['Authorization']).toBe('Bearer token-2');
  });

  it('reconnects at once, spread and without counting a failure, when its node drains', async () => {
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    vi.spyOn(Math, 'random').mockReturnValue(0.1); // drain: 100 ms; a backoff would be 420 ms
    last().onStompError({ headers: { code: 'SERVER_SHUTDOWN' } } as unknown as IFrame);
    last().drop();
    expect(conn.attempt()).toBe(0);
    await vi.advanceTimersByTimeAsync(0.1 * DRAIN_RECONNECT_SPREAD_MS + 1);
    expect(clients.length).toBe(2);
    vi.mocked(Math.random).mockRestore();
  });

  it('stop() forgets every subscription and stays idle', async () => {
    conn.listen('/topic/rooms/1', () => undefined);
    conn.start();
    await vi.advanceTimersByTimeAsync(0);
    await last().connect();
    conn.stop();
    expect(conn.state()).toBe('idle');
    expect(conn.destinations()).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(clients.length).toBe(1);
  });
});
