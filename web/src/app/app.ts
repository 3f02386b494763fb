import { Component, effect, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { Title } from '@angular/platform-browser';
import { NavigationEnd, Router, RouterOutlet } from '@angular/router';
import { Store } from '@ngrx/store';
import { filter, map } from 'rxjs';
import { ToastsComponent } from './shared/toasts.component';
import { selectTotalUnread } from './store/selectors';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, ToastsComponent],
  template: `<router-outlet /><app-toasts />`,
})
export class App {
  private readonly store = inject(Store);
  private readonly title = inject(Title);
  private readonly router = inject(Router);
  private readonly unread = this.store.selectSignal(selectTotalUnread);
  private readonly url = toSignal(
    this.router.events.pipe(
      filter((e) => e instanceof NavigationEnd),
      map((e) => (e as NavigationEnd).urlAfterRedirects),
    ),
    { initialValue: '' },
  );

  constructor() {
    // Signed-in pages carry the unread total in the document title: "(3) Parley".
    effect(() => {
      const n = this.unread();
      const url = this.url();
      if (!url || (url.startsWith('/login') || url.startsWith('/register'))) return;
      this.title.setTitle(n > 0 ? `(${n}) Parley` : 'Parley');
    });
  }
}
