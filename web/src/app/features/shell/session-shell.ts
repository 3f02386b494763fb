import { Component, DestroyRef, OnInit, computed, inject, signal } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { ConnectionService } from '../../core/connection.service';
import { SessionService } from '../../core/session.service';

/** The signed-in area: starts the session once and shows the connection state. */
@Component({
  selector: 'app-session-shell',
  imports: [RouterOutlet],
  template: `
    <router-outlet />
    @if (banner(); as b) {
      <div class="pointer-events-none fixed inset-x-0 top-2 z-40 flex justify-center px-4">
        <div class="pointer-events-auto flex items-center gap-3 rounded-full bg-amber-100 px-4 py-1.5 text-sm text-amber-900 shadow-md ring-1 ring-amber-300" role="status" aria-live="polite" data-testid="connection-banner" [attr.data-state]="conn.state()">
          <span class="h-2 w-2 animate-pulse rounded-full bg-amber-500" aria-hidden="true"></span>
          <span>{{ b }}</span>
          @if (conn.state() === 'reconnecting' && conn.nextRetryAt()) {
            <button type="button" class="font-medium underline underline-offset-2 hover:text-amber-950" (click)="conn.retryNow()">Retry now</button>
          }
        </div>
      </div>
    }
  `,
  host: { class: 'block h-full' },
})
export class SessionShell implements OnInit {
  readonly conn = inject(ConnectionService);
  private readonly session = inject(SessionService);
  private readonly now = signal(Date.now());
  readonly banner = computed(() => {
    const s = this.conn.state();
    if (s === 'connecting') return this.slow() ? 'Connecting…' : null;
    if (s !== 'reconnecting') return null;
    const at = this.conn.nextRetryAt();
    const secs = at ? Math.max(0, Math.ceil((at - this.now()) / 1000)) : 0;
    return at && secs > 0 ? `Connection lost. Reconnecting in ${secs}s…` : 'Reconnecting…';
  });
  private readonly slow = signal(false);

  constructor() {
    const tick = setInterval(() => this.now.set(Date.now()), 1000);
    const slow = setTimeout(() => this.slow.set(true), 1500);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(tick);
      clearTimeout(slow);
    });
  }

  ngOnInit(): void {
    this.session.start();
  }
}
