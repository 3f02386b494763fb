// Searches users as the person types (debounced), for new chats, groups and adding members.
import { Component, DestroyRef, inject, input, output, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Store } from '@ngrx/store';
import { Subject, catchError, debounceTime, distinctUntilChanged, map, of, switchMap, tap } from 'rxjs';
import { ApiService } from '../core/api.service';
import { UserSummary } from '../core/models';
import { sessionActions } from '../store/actions';
import { AvatarComponent } from './avatar.component';

let nextId = 0;

@Component({
  selector: 'app-user-search',
  imports: [AvatarComponent],
  template: `
    <label [for]="inputId" class="sr-only">{{ label() }}</label>
    <div class="relative">
      <svg class="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-slate-400" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M11 18a7 7 0 110-14 7 7 0 010 14zM20 20l-3.5-3.5" /></svg>
      <input
        [id]="inputId"
        class="field pl-9"
        type="search"
        autocomplete="off"
        [placeholder]="placeholder()"
        [attr.aria-controls]="listId"
        (input)="onInput($event)"
        (keydown.arrowdown)="focusFirst($event)"
        autofocus
      />
    </div>
    <ul [id]="listId" class="mt-3 space-y-1" role="listbox" [attr.aria-label]="label() + ' results'">
      @if (loading()) {
        <li class="px-2 py-3 text-sm text-slate-500">Searching…</li>
      } @else if (query() && !results().length) {
        <li class="px-2 py-3 text-sm text-slate-500">No users match “{{ query() }}”.</li>
      }
      @for (u of results(); track u.userId) {
        @let taken = excludeIds().includes(u.userId);
        @let picked = selectedIds().includes(u.userId);
        <li role="option" [attr.aria-selected]="picked" [attr.aria-disabled]="taken">
          <button
            type="button"
            class="user-result flex w-full items-center gap-3 rounded-lg px-2 py-2 text-left hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50"
            [disabled]="taken"
            (click)="picked$(u)"
            [attr.data-username]="u.username"
          >
            <app-avatar [name]="u.fullName" [src]="u.avatar" [seed]="u.userId" [size]="36" />
            <span class="min-w-0 flex-1">
              <span class="block truncate text-sm font-medium text-slate-900">{{ u.fullName }}</span>
              <span class="block truncate text-xs text-slate-500">&#64;{{ u.username }}</span>
            </span>
            @if (taken) {
              <span class="text-xs text-slate-500">Already added</span>
            } @else if (picked) {
              <span class="rounded-full bg-brand-100 px-2 py-0.5 text-xs font-medium text-brand-700">Selected</span>
            }
          </button>
        </li>
      }
    </ul>
  `,
})
export class UserSearchComponent {
  private readonly api = inject(ApiService);
  private readonly store = inject(Store);
  readonly label = input('Search people');
  readonly placeholder = input('Search by name or username');
  readonly excludeIds = input<string[]>([]);
  readonly selectedIds = input<string[]>([]);
  readonly selected = output<UserSummary>();
  readonly inputId = `user-search-${++nextId}`;
  readonly listId = `${this.inputId}-list`;
  readonly query = signal('');
  readonly results = signal<UserSummary[]>([]);
  readonly loading = signal(false);
  private readonly input$ = new Subject<string>();

  constructor() {
    this.input$
      .pipe(
        map((q) => q.trim()),
        debounceTime(300),
        distinctUntilChanged(),
        tap((q) => {
          this.query.set(q);
          this.loading.set(!!q);
        }),
        switchMap((q) =>
          q
            ? this.api.search(q.slice(0, 64), 20).pipe(
                map((p) => p.content),
                catchError(() => of([] as UserSummary[])),
              )
            : of([] as UserSummary[]),
        ),
        takeUntilDestroyed(inject(DestroyRef)),
      )
      .subscribe((users) => {
        this.loading.set(false);
        this.results.set(users);
        if (users.length) this.store.dispatch(sessionActions.usersSeen({ users }));
      });
  }

  onInput(e: Event): void {
    this.input$.next((e.target as HTMLInputElement).value);
  }

  picked$(u: UserSummary): void {
    this.selected.emit(u);
  }

  focusFirst(e: Event): void {
    e.preventDefault();
    const list = document.getElementById(this.listId);
    list?.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
  }
}
