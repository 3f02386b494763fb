// Login, registration, logout and silent token refresh.
//
// Refresh tokens rotate: every refresh answers a new pair and the old refresh token becomes
// invalid (a reuse revokes the whole family). So the new pair is always stored, a refresh is
// single-flight within the tab, and across tabs it runs under a Web Lock after re-reading storage,
// so two tabs never spend the same refresh token.
import { HttpBackend, HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, NgZone, inject } from '@angular/core';
import { Router } from '@angular/router';
import { Observable, Subject, firstValueFrom } from 'rxjs';
import { API_BASE } from './config';
import { TokenPair } from './models';
import { TokenStore } from './token-store';

/** Refresh this long before the access token expires: a minute, or a fifth of a short lifetime. */
const REFRESH_MARGIN_MS = 60_000;
export function refreshMargin(iat: number | undefined, exp: number | undefined): number {
  if (!iat || !exp || exp <= iat) return REFRESH_MARGIN_MS;
  return Math.min(REFRESH_MARGIN_MS, (exp - iat) * 1000 * 0.2);
}

export class RefreshFailed extends Error {
  constructor(readonly fatal: boolean, message: string) {
    super(message);
  }
}

@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly tokens = inject(TokenStore);
  private readonly base = inject(API_BASE);
  private readonly router = inject(Router);
  private readonly zone = inject(NgZone);
  /** Bypasses the interceptors: auth calls carry no access token and must not loop on 401. */
  private readonly http = new HttpClient(inject(HttpBackend));
  private inflight: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Emits when the session ends (logout or failed refresh). */
  readonly sessionEnded = new Subject<'logout' | 'expired'>();

  private margin(): number {
    const c = this.tokens.claims();
    return refreshMargin(c?.iat, c?.exp);
  }

  get isLoggedIn(): boolean {
    return !!this.tokens.refreshToken();
  }

  login(username: string, password: string): Observable<TokenPair> {
    return this.http.post<TokenPair>(`${this.base}/auth/login`, { username, password });
  }

  register(body: { fullName: string; username: string; email: string; password: string; bio?: string }): Observable<TokenPair> {
    return this.http.post<TokenPair>(`${this.base}/auth/register`, body);
  }

  /** Stores a fresh pair (after login/register) and schedules its refresh. */
  startSession(pair: TokenPair): void {
    this.tokens.set(pair);
    this.schedule();
  }

  /** Schedules the silent refresh before the access token expires (idempotent). */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.tokens.refreshToken()) return;
    const inMs = this.tokens.accessExpiresIn();
    const delay = Number.isFinite(inMs) ? Math.max(0, inMs - this.margin()) : 0;
    this.timer = setTimeout(() => {
      this.refresh().catch(() => undefined);
    }, Math.min(delay, 2 ** 31 - 1));
  }

  /** A valid access token, refreshing first when it expires within the margin. */
  async freshAccessToken(): Promise<string> {
    const token = this.tokens.accessToken();
    if (token && this.tokens.accessExpiresIn() > this.margin() / 2) return token;
    return this.refresh();
  }

  /** Refreshes the pair (single flight). Rejects with RefreshFailed; `fatal` ends the session. */
  refresh(): Promise<string> {
    if (!this.inflight) {
      this.inflight = this.doRefresh().finally(() => (this.inflight = null));
    }
    return this.inflight;
  }

  private async doRefresh(): Promise<string> {
    const used = this.tokens.refreshToken();
    if (!used) {
      this.expire();
      throw new RefreshFailed(true, 'Not logged in');
    }
    const run = async (): Promise<string> => {
      // Another tab may have rotated the pair while we waited for the lock.
      const current = this.tokens.reload();
      if (!current) throw new RefreshFailed(true, 'Logged out');
      if (current.refreshToken !== used && this.tokens.accessExpiresIn() > this.margin() / 2) {
        this.schedule();
        return current.accessToken;
      }
      try {
        const pair = await firstValueFrom(
          this.http.post<TokenPair>(`${this.base}/auth/refresh-token`, { refreshToken: current.refreshToken }),
        );
        this.tokens.set(pair);
        this.schedule();
        return pair.accessToken;
      } catch (e) {
        const status = e instanceof HttpErrorResponse ? e.status : 0;
        if (status === 401 || status === 400 || status === 403) {
          this.expire();
          throw new RefreshFailed(true, 'Session expired');
        }
        // Network trouble or a server error: keep the session and try again soon.
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => this.refresh().catch(() => undefined), 5_000);
        throw new RefreshFailed(false, 'Could not refresh the session');
      }
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    return locks ? (locks.request('parley-refresh', run) as unknown as Promise<string>) : run();
  }

  /** Ends the session on the server (revokes this device's refresh family) and locally. */
  async logout(): Promise<void> {
    const rt = this.tokens.refreshToken();
    this.clearLocal();
    this.sessionEnded.next('logout');
    if (rt) {
      await firstValueFrom(this.http.post(`${this.base}/auth/logout`, { refreshToken: rt })).catch(() => undefined);
    }
    await this.router.navigateByUrl('/login');
  }

  private expire(): void {
    const had = !!this.tokens.refreshToken();
    this.clearLocal();
    if (had) {
      this.sessionEnded.next('expired');
      this.zone.run(() => this.router.navigate(['/login'], { queryParams: { expired: 1 } }));
    }
  }

  private clearLocal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.tokens.clear();
  }
}
