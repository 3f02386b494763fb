// Holds the token pair in localStorage (so a reload keeps the session) and exposes it as signals.
// Another tab's refresh is picked up through the storage event.
import { Injectable, computed, signal } from '@angular/core';
import { TokenPair } from './models';

const KEY = 'parley.auth';

export interface JwtClaims {
  sub?: string;
  userId?: string;
  username?: string;
  exp?: number;
  iat?: number;
}

export function decodeJwt(token: string | null | undefined): JwtClaims | null {
  if (!token) return null;
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    return JSON.parse(atob(b64)) as JwtClaims;
  } catch {
    return null;
  }
}

@Injectable({ providedIn: 'root' })
export class TokenStore {
  private readonly pair = signal<TokenPair | null>(TokenStore.read());
  readonly tokens = this.pair.asReadonly();
  readonly accessToken = computed(() => this.pair()?.accessToken ?? null);
  readonly refreshToken = computed(() => this.pair()?.refreshToken ?? null);
  readonly claims = computed(() => decodeJwt(this.accessToken()));
  readonly userId = computed(() => this.claims()?.userId ?? null);

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('storage', (e) => {
        if (e.key === KEY) this.pair.set(TokenStore.read());
      });
    }
  }

  private static read(): TokenPair | null {
    try {
      const raw = localStorage.getItem(KEY);
      if (!raw) return null;
      const v = JSON.parse(raw) as TokenPair;
      return v?.accessToken && v?.refreshToken ? v : null;
    } catch {
      return null;
    }
  }

  /** Re-reads the stored pair (another tab may have rotated it). */
  reload(): TokenPair | null {
    const v = TokenStore.read();
    this.pair.set(v);
    return v;
  }

  set(pair: TokenPair): void {
    localStorage.setItem(KEY, JSON.stringify({ accessToken: pair.accessToken, refreshToken: pair.refreshToken }));
    this.pair.set({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
  }

  clear(): void {
    localStorage.removeItem(KEY);
    this.pair.set(null);
  }

  /** Milliseconds until the access token expires (negative when expired; -Infinity when unknown). */
  accessExpiresIn(now = Date.now()): number {
    const exp = this.claims()?.exp;
    return exp ? exp * 1000 - now : -Infinity;
  }
}
