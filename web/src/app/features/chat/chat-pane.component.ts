import { Component, OnDestroy, OnInit, computed, inject, input, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Store } from '@ngrx/store';
import { AvatarComponent } from '../../shared/avatar.component';
import { IconComponent } from '../../shared/icon.component';
import { messageActions } from '../../store/actions';
import { roomsFeature } from '../../store/rooms.reducer';
import { presenceText, selectMeId, selectPresence, selectTypingByRoom, toRoomView } from '../../store/selectors';
import { ComposerComponent } from './composer.component';
import { MessageListComponent } from './message-list.component';

@Component({
  selector: 'app-chat-pane',
  imports: [RouterLink, AvatarComponent, IconComponent, MessageListComponent, ComposerComponent],
  template: `
    @if (room(); as r) {
      <header class="flex items-center gap-2 border-b border-slate-200 bg-white/95 px-2 py-2.5 backdrop-blur sm:px-4" data-testid="chat-header">
        <a routerLink="/" class="icon-btn md:hidden" aria-label="Back to conversations"><app-icon name="back" [size]="22" /></a>
        <a [routerLink]="headerLink()" class="flex min-w-0 flex-1 items-center gap-3 rounded-lg p-1 hover:bg-slate-50" [attr.aria-label]="(r.isDm ? 'Profile of ' : 'Group details of ') + r.title">
          <app-avatar [name]="r.title" [src]="r.avatar" [seed]="r.other?.userId ?? 'room' + r.chatId" [size]="40" [online]="r.isDm && online()" />
          <span class="min-w-0">
            <span class="block truncate text-[15px] font-semibold text-slate-900" data-testid="chat-title">{{ r.title }}</span>
            <span class="block truncate text-xs" [class]="typing() ? 'font-medium text-brand-600' : 'text-slate-500'" data-testid="chat-subtitle" aria-live="polite">{{ typing() || subtitle() }}</span>
          </span>
        </a>
        @if (!r.isDm) {
          <a [routerLink]="['/group', r.chatId]" class="icon-btn" aria-label="Group details" title="Group details"><app-icon name="users" /></a>
        }
      </header>
      <app-message-list class="min-h-0 flex-1" [chatId]="chatId()" [room]="r" />
      <app-composer [chatId]="chatId()" />
    } @else if (loaded()) {
      <div class="flex flex-1 flex-col items-center justify-center gap-3 p-8 text-center">
        <p class="text-base font-medium text-slate-700">This conversation isn't available</p>
        <p class="text-sm text-slate-500">It may have been deleted, or you are no longer a member.</p>
        <a routerLink="/" class="btn-outline">Back to conversations</a>
      </div>
    } @else {
      <div class="flex flex-1 items-center justify-center text-sm text-slate-500">Loading…</div>
    }
  `,
  host: { class: 'flex h-full min-h-0 flex-1 flex-col bg-slate-50' },
})
export class ChatPaneComponent implements OnInit, OnDestroy {
  private readonly store = inject(Store);
  readonly router = inject(Router);
  readonly chatId = input.required<number>();
  readonly loaded = this.store.selectSignal(roomsFeature.selectLoaded);
  private readonly presence = this.store.selectSignal(selectPresence);
  private readonly typingByRoom = this.store.selectSignal(selectTypingByRoom);
  private readonly clock = signal(Date.now());
  private timer?: ReturnType<typeof setInterval>;
  private readonly byId = this.store.selectSignal(roomsFeature.selectById);
  private readonly meId = this.store.selectSignal(selectMeId);
  readonly room = computed(() => {
    const e = this.byId()[this.chatId()];
    return e ? toRoomView(e, this.meId()) : null;
  });

  readonly online = computed(() => this.presence()[this.room()?.other?.userId ?? '']?.status === 'ONLINE');
  readonly typing = computed(() => this.typingByRoom()[this.chatId()] ?? '');
  readonly subtitle = computed(() => {
    const r = this.room();
    if (!r) return '';
    if (r.isDm) {
      this.clock();
      return presenceText(this.presence()[r.other?.userId ?? ''], Date.now()) || `@${r.other?.username ?? ''}`;
    }
    return r.subtitle;
  });
  readonly headerLink = computed(() => {
    const r = this.room();
    if (!r) return '/';
    return r.isDm ? ['/user', r.other?.username ?? 'me'] : ['/group', r.chatId];
  });

  ngOnInit(): void {
    this.store.dispatch(messageActions.open({ chatId: this.chatId() }));
    this.timer = setInterval(() => this.clock.set(Date.now()), 30_000);
  }

  ngOnDestroy(): void {
    clearInterval(this.timer);
  }
}
