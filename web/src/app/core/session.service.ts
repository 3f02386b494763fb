// Starts and ends the signed-in session: the connection, the store, the tokens.
import { Injectable, inject } from '@angular/core';
import { Store } from '@ngrx/store';
import { AuthService } from './auth.service';
import { ConnectionService } from './connection.service';
import { StatusSender } from './status-sender';
import { TokenStore } from './token-store';
import { sessionActions } from '../store/actions';

@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly auth = inject(AuthService);
  private readonly conn = inject(ConnectionService);
  private readonly status = inject(StatusSender);
  private readonly store = inject(Store);
  private readonly tokens = inject(TokenStore);
  private started = false;

  constructor() {
    this.auth.sessionEnded.subscribe(() => this.teardown());
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.auth.schedule();
    this.store.dispatch(sessionActions.started({ userId: this.tokens.userId() }));
  }

  async logout(): Promise<void> {
    this.teardown();
    await this.auth.logout();
  }

  private teardown(): void {
    if (!this.started) return;
    this.started = false;
    this.conn.stop();
    this.status.reset();
    this.store.dispatch(sessionActions.loggedOut());
  }
}
