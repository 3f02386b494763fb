// Small helpers shared by every test file: waiting with a deadline (never a fixed sleep),
// collecting asynchronous arrivals, unique names, and the formats the API promises.
import { randomBytes } from 'node:crypto';

/** Crockford base32 ULID: 26 chars, no I, L, O, U; first char ≤ 7 (48-bit time). */
export const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** ISO-8601 UTC as the API writes it: `2026-11-27T10:00:00.123Z` (fraction optional). */
export const ISO_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function rand(n = 10): string {
  return randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
}

/** A fresh username that matches `^[A-Za-z0-9_]{3,32}$`. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${rand(12)}`;
}

export class TimeoutError extends Error {}

/**
 * Polls `probe` until it returns a value that is not undefined/false, or throws after `timeoutMs`.
 * The interval is short and grows a little; this is how we wait for anything asynchronous.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let interval = 10;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new TimeoutError(
        `timed out after ${timeoutMs} ms waiting for ${what}` + (last ? `; last error: ${String(last)}` : ''),
      );
    }
    await delay(interval);
    interval = Math.min(interval * 2, 100);
  }
}

/** Only for pacing inside pollUntil and for protocols that need elapsed time. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Races a promise against a deadline with a readable message. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new TimeoutError(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

interface Waiter<T> {
  pred: (item: T) => boolean;
  resolve: (item: T) => void;
}

/**
 * Collects items as they arrive (STOMP messages, frames, events) and lets a test wait for one that
 * matches, whether it already arrived or arrives later.
 */
export class Collector<T> {
  readonly items: T[] = [];
  private waiters: Waiter<T>[] = [];
  private changeWaiters: (() => void)[] = [];

  constructor(readonly label = 'items') {}

  push(item: T): void {
    this.items.push(item);
    const still: Waiter<T>[] = [];
    for (const w of this.waiters) {
      if (w.pred(item)) w.resolve(item);
      else still.push(w);
    }
    this.waiters = still;
    const cw = this.changeWaiters;
    this.changeWaiters = [];
    for (const f of cw) f();
  }

  /** Resolves with the first item (old or new) satisfying `pred`. */
  waitFor(pred: (item: T) => boolean = () => true, timeoutMs = 5000, what?: string): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        pred,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(
          new TimeoutError(
            `timed out after ${timeoutMs} ms waiting for ${what ?? 'a matching item'} in ${this.label}; ` +
              `have ${this.items.length}: ${preview(this.items)}`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.waiters.push(w);
    });
  }

  /** Resolves once at least `n` items satisfy `pred`; returns them in arrival order. */
  async waitForCount(n: number, pred: (item: T) => boolean = () => true, timeoutMs = 5000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.items.filter(pred);
      if (got.length >= n) return got;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new TimeoutError(
          `timed out after ${timeoutMs} ms waiting for ${n} items in ${this.label}; have ${got.length} matching ` +
            `of ${this.items.length}: ${preview(this.items)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        timer.unref();
        this.changeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  filter(pred: (item: T) => boolean): T[] {
    return this.items.filter(pred);
  }
}

function preview(items: unknown[]): string {
  const s = JSON.stringify(items.slice(-5), (_k, v) => (typeof v === 'string' && v.length > 200 ? v.slice(0, 200) + '…' : v));
  return s && s.length > 1500 ? s.slice(0, 1500) + '…' : s;
}

/** Asserts a value is a JSON object with exactly these keys present (values may be null). */
export function hasKeys(obj: unknown, keys: string[]): string[] {
  if (obj === null || typeof obj !== 'object') return keys;
  return keys.filter((k) => !(k in (obj as Record<string, unknown>)));
}
