import { Component, DestroyRef, computed, effect, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { Store } from '@ngrx/store';
import { listTime, previewText } from '../../core/format';
import { SessionService } from '../../core/session.service';
import { AvatarComponent } from '../../shared/avatar.component';
import { ConfirmDialogComponent } from '../../shared/dialog.component';
import { IconComponent } from '../../shared/icon.component';
import { roomActions } from '../../store/actions';
import { roomsFeature } from '../../store/rooms.reducer';
import { selectMe, selectMeId, selectPresence, selectRoomList, selectTypingByRoom } from '../../store/selectors';
import { NewDmDialogComponent, NewGroupDialogComponent } from './new-chat-dialogs';

@Component({
  selector: 'app-sidebar',
  imports: [RouterLink, AvatarComponent, IconComponent, ConfirmDialogComponent, NewDmDialogComponent, NewGroupDialogComponent],
  template: `
    <header class="flex items-center gap-3 border-b border-slate-100 px-4 py-3">
      <a routerLink="/user/me" class="flex min-w-0 flex-1 items-center gap-3 rounded-lg p-1 -m-1 hover:bg-slate-50" aria-label="Your profile" data-testid="me-link">
        <app-avatar [name]="me()?.fullName ?? ''" [src]="me()?.avatar" [seed]="me()?.userId ?? ''" [size]="40" />
        <span class="min-w-0">
          <span class="block truncate text-sm font-semibold text-slate-900" data-testid="me-name">{{ me()?.fullName ?? '…' }}</span>
          <span class="block truncate text-xs text-slate-500">&#64;{{ me()?.username }}</span>
        </span>
      </a>
      <div class="relative flex items-center gap-1">
        <button type="button" class="icon-btn" (click)="openDialog.set('dm')" aria-label="New chat" title="New chat" data-testid="new-chat"><app-icon name="chat" /></button>
        <button type="button" class="icon-btn" (click)="openDialog.set('group')" aria-label="New group" title="New group" data-testid="new-group"><app-icon name="users" /></button>
        <button type="button" class="icon-btn" (click)="menuOpen.set(!menuOpen())" aria-label="Menu" aria-haspopup="menu" [attr.aria-expanded]="menuOpen()" data-testid="menu"><app-icon name="more" /></button>
        @if (menuOpen()) {
          <div class="absolute top-11 right-0 z-30 w-44 rounded-xl bg-white py-1 shadow-lg ring-1 ring-slate-200" role="menu" (keydown.escape)="menuOpen.set(false)">
            <a routerLink="/user/me" role="menuitem" class="flex items-center gap-2 px-3 py-2 text-sm text-slate-700 hover:bg-slate-50"><app-icon name="user" [size]="16" /> Profile</a>
            <button type="button" role="menuitem" class="flex w-full items-center gap-2 px-3 py-2 text-left text-sm text-rose-600 hover:bg-rose-50" (click)="menuOpen.set(false); openDialog.set('logout')" data-testid="logout"><app-icon name="logout" [size]="16" /> Log out</button>
          </div>
        }
      </div>
    </header>
    <div class="px-4 pt-3 pb-2">
      <label for="room-filter" class="sr-only">Filter conversations</label>
      <div class="relative">
        <span class="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-slate-400"><app-icon name="search" [size]="16" /></span>
        <input id="room-filter" type="search" class="field rounded-full border-transparent bg-slate-100 pl-9 focus:bg-white" placeholder="Search conversations" (input)="filter.set($any($event.target).value)" />
      </div>
    </div>
    <nav class="scroll-thin min-h-0 flex-1 overflow-y-auto px-2 pb-3" aria-label="Conversation list">
      @if (!loaded()) {
        @for (i of [1, 2, 3, 4]; track i) {
          <div class="flex animate-pulse items-center gap-3 px-2 py-3">
            <div class="h-11 w-11 rounded-full bg-slate-200"></div>
            <div class="flex-1 space-y-2"><div class="h-3 w-1/2 rounded bg-slate-200"></div><div class="h-3 w-3/4 rounded bg-slate-100"></div></div>
          </div>
        }
      } @else if (!rooms().length) {
        <div class="px-4 py-10 text-center text-sm text-slate-500">
          <p class="font-medium text-slate-700">No conversations yet</p>
          <p class="mt-1">Start one with the buttons above.</p>
        </div>
      }
      <ul class="space-y-0.5">
        @for (r of rooms(); track r.chatId) {
          @let typing = typingByRoom()[r.chatId];
          @let active = r.chatId === selectedId();
          <li>
            <a
              [routerLink]="['/chats', r.chatId]"
              class="room-item group flex items-center gap-3 rounded-xl px-2 py-2.5 transition-colors"
              [class]="active ? 'bg-brand-50' : 'hover:bg-slate-50'"
              [attr.aria-current]="active ? 'page' : null"
              [attr.data-chat-id]="r.chatId"
              [attr.data-title]="r.title"
            >
              <app-avatar [name]="r.title" [src]="r.avatar" [seed]="r.other?.userId ?? 'room' + r.chatId" [size]="46" [online]="r.isDm && presence()[r.other?.userId ?? '']?.status === 'ONLINE'" />
              <span class="min-w-0 flex-1">
                <span class="flex items-baseline gap-2">
                  <span class="min-w-0 flex-1 truncate text-sm font-semibold text-slate-900">{{ r.title }}</span>
                  <span class="shrink-0 text-xs" [class]="r.unreadCount ? 'font-medium text-brand-600' : 'text-slate-400'">{{ time(r.latest?.timestamp ?? r.entry.room.createdAt) }}</span>
                </span>
                <span class="mt-0.5 flex items-center gap-2">
                  @if (typing && !active) {
                    <span class="min-w-0 flex-1 truncate text-sm font-medium text-brand-600 italic" data-testid="room-typing">{{ typing }}</span>
                  } @else {
                    <span class="min-w-0 flex-1 truncate text-sm" [class]="r.unreadCount ? 'text-slate-800' : 'text-slate-500'" data-testid="room-preview">
                      @if (r.latest) {
                        @if (r.latest.userId === meId()) {<span class="text-slate-400">You: </span>} @else if (!r.isDm) {<span class="text-slate-400">{{ firstName(r.latest.userId) }}: </span>}{{ preview(r.latest.type, r.latest.content) }}
                      } @else {
                        <span class="text-slate-400 italic">{{ r.isDm ? 'Say hello' : 'No messages yet' }}</span>
                      }
                    </span>
                  }
                  @if (r.unreadCount > 0) {
                    <span class="inline-flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-brand-600 px-1.5 text-xs font-semibold text-white" data-testid="unread-badge" [attr.aria-label]="r.unreadCount + ' unread'">{{ r.unreadCount > 99 ? '99+' : r.unreadCount }}</span>
                  }
                </span>
              </span>
            </a>
          </li>
        }
      </ul>
    </nav>
    @switch (openDialog()) {
      @case ('dm') { <app-new-dm-dialog (closed)="openDialog.set(null)" /> }
      @case ('group') { <app-new-group-dialog (closed)="openDialog.set(null)" /> }
      @case ('logout') {
        <app-confirm-dialog heading="Log out?" text="You will need to sign in again to read and send messages." confirmText="Log out" [danger]="true" (confirm)="logout()" (cancel)="openDialog.set(null)" />
      }
    }
  `,
  host: { class: 'flex h-full min-h-0 flex-col', '(document:click)': 'onDocClick($event)' },
})
export class SidebarComponent {
  private readonly store = inject(Store);
  private readonly session = inject(SessionService);
  readonly selectedId = input<number | null>(null);
  readonly me = this.store.selectSignal(selectMe);
  readonly meId = this.store.selectSignal(selectMeId);
  readonly loaded = this.store.selectSignal(roomsFeature.selectLoaded);
  readonly allRooms = this.store.selectSignal(selectRoomList);
  readonly typingByRoom = this.store.selectSignal(selectTypingByRoom);
  readonly presence = this.store.selectSignal(selectPresence);
  private readonly users = this.store.selectSignal((s: { session: { users: Record<string, { fullName: string }> } }) => s.session.users);
  readonly filter = signal('');
  readonly rooms = computed(() => {
    const q = this.filter().trim().toLowerCase();
    const all = this.allRooms();
    return q ? all.filter((r) => r.title.toLowerCase().includes(q) || (r.other?.username ?? '').toLowerCase().includes(q)) : all;
  });
  readonly menuOpen = signal(false);
  readonly openDialog = signal<'dm' | 'group' | 'logout' | null>(null);
  private readonly clock = signal(Date.now());

  constructor() {
    effect(() => this.store.dispatch(roomActions.select({ chatId: this.selectedId() })));
    const tick = setInterval(() => this.clock.set(Date.now()), 60_000);
    inject(DestroyRef).onDestroy(() => clearInterval(tick));
  }

  time(iso: string): string {
    this.clock();
    return listTime(iso);
  }
  preview(type: string, content: string): string {
    return previewText(type, content);
  }
  firstName(userId: string): string {
    return this.users()[userId]?.fullName.split(' ')[0] ?? 'Someone';
  }

  onDocClick(e: MouseEvent): void {
    if (this.menuOpen() && !(e.target as HTMLElement).closest('[aria-haspopup="menu"],[role="menu"]')) this.menuOpen.set(false);
  }

  async logout(): Promise<void> {
    this.openDialog.set(null);
    await this.session.logout();
  }
}
