// The message log of one room.
// - Upward infinite scroll: a sentinel at the top loads older messages (`before=` cursor) and the
//   scroll position is restored so the reader's place does not move.
// - New messages scroll into view when the reader is at the bottom (or sent them); otherwise a
//   "new messages" button appears.
// - Read receipts: a message from someone else counts as seen only when an IntersectionObserver
//   reports it intersecting (at least half visible) while the page is visible.
import {
  AfterViewInit,
  Component,
  ElementRef,
  Injector,
  OnDestroy,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { Store } from '@ngrx/store';
import { ChatMessage } from '../../core/models';
import { clockTime, dayLabel, fileNameOf } from '../../core/format';
import { AvatarComponent, colorFor } from '../../shared/avatar.component';
import { IconComponent } from '../../shared/icon.component';
import { messageActions } from '../../store/actions';
import { emptyLog, messagesFeature } from '../../store/messages.reducer';
import { RoomView, Tick, seenBy, selectMeId, selectUsers, tickFor } from '../../store/selectors';
import { ImageViewerComponent } from './image-viewer.component';

type Item =
  | { kind: 'day'; key: string; label: string }
  | {
      kind: 'msg';
      key: string;
      m: ChatMessage;
      mine: boolean;
      first: boolean;
      last: boolean;
      name: string;
      avatar: string | null;
      color: string;
      tick: Tick | null;
      seen: number;
    };

const NEAR_BOTTOM_PX = 80;

@Component({
  selector: 'app-message-list',
  imports: [AvatarComponent, IconComponent, ImageViewerComponent],
  template: `
    <div #scroller class="scroll-thin relative h-full overflow-y-auto overscroll-contain px-3 py-4 sm:px-6" (scroll)="onScroll()" role="log" aria-label="Messages" tabindex="0" aria-live="polite" data-testid="message-list">
      <div #top class="h-px" aria-hidden="true"></div>
      @if (log().loadingOlder || (log().loading && !log().loaded)) {
        <div class="flex justify-center py-3" role="status" aria-label="Loading messages">
          <span class="h-5 w-5 animate-spin rounded-full border-2 border-slate-300 border-t-brand-500"></span>
        </div>
      } @else if (log().loaded && !log().hasMoreBefore && items().length) {
        <p class="py-3 text-center text-xs text-slate-400" data-testid="history-start">This is the beginning of the conversation</p>
      }
      @if (log().error && !log().loaded) {
        <p class="py-6 text-center text-sm text-rose-600">Couldn't load messages: {{ log().error }}</p>
      }
      @if (log().loaded && !items().length) {
        <div class="flex h-full flex-col items-center justify-center text-center text-sm text-slate-500">
          <p class="text-base font-medium text-slate-700">No messages yet</p>
          <p>Say hello to start the conversation.</p>
        </div>
      }
      <ol class="mx-auto flex max-w-3xl flex-col">
        @for (it of items(); track it.key) {
          @if (it.kind === 'day') {
            <li class="sticky top-0 z-10 my-3 flex justify-center" aria-hidden="false">
              <span class="rounded-full bg-white/90 px-3 py-1 text-xs font-medium text-slate-500 shadow-sm ring-1 ring-slate-200">{{ it.label }}</span>
            </li>
          } @else {
            @let m = it.m;
            <li
              class="flex items-end gap-2"
              [class]="(it.mine ? 'justify-end ' : 'justify-start ') + (it.first ? 'mt-3' : 'mt-0.5')"
              data-testid="message"
              [attr.data-key]="it.key"
              [attr.data-message-id]="m.messageId || null"
              [attr.data-seen-id]="!it.mine && !m.local ? m.messageId : null"
              [attr.data-mine]="it.mine"
              [attr.data-tick]="it.tick"
              [attr.data-seq]="m.seq"
            >
              @if (!it.mine && !room().isDm) {
                <span class="w-8 shrink-0">
                  @if (it.last) { <app-avatar [name]="it.name" [src]="it.avatar" [seed]="m.userId" [size]="32" /> }
                </span>
              }
              <div class="flex max-w-[82%] flex-col sm:max-w-[70%]" [class.items-end]="it.mine">
                <div
                  class="relative rounded-2xl text-[15px] leading-snug shadow-sm"
                  [class]="
                    (it.mine ? 'bg-brand-600 text-white ' : 'bg-white text-slate-900 ring-1 ring-slate-200 ') +
                    (m.type === 'TEXT' ? 'px-3.5 py-2 ' : 'p-1 ') +
                    (it.mine ? (it.last ? 'rounded-br-md' : '') : it.last ? 'rounded-bl-md' : '') +
                    (m.local === 'failed' ? ' opacity-70' : '')
                  "
                >
                  @if (it.first && !it.mine && !room().isDm) {
                    <p class="mb-0.5 text-xs font-semibold" [class.px-2]="m.type !== 'TEXT'" [class.pt-1]="m.type !== 'TEXT'" [style.color]="it.color" data-testid="sender-name">{{ it.name }}</p>
                  }
                  @switch (m.type) {
                    @case ('IMAGE') {
                      <button type="button" class="block overflow-hidden rounded-xl" (click)="viewing.set(m.preview || m.content)" [attr.aria-label]="'Open image from ' + it.name">
                        <img [src]="m.preview || m.content" alt="Shared image" class="max-h-72 min-h-16 min-w-24 max-w-full object-cover" loading="lazy" (load)="onMediaLoad()" data-testid="message-image" />
                      </button>
                    }
                    @case ('FILE') {
                      <a [href]="m.local ? null : m.content" target="_blank" rel="noopener" [attr.download]="fileName(m) " class="flex items-center gap-3 rounded-xl px-3 py-2.5" [class]="it.mine ? 'bg-brand-700/40 hover:bg-brand-700/60' : 'bg-slate-50 hover:bg-slate-100'" data-testid="message-file">
                        <app-icon name="file" [size]="22" />
                        <span class="min-w-0 truncate text-sm font-medium underline-offset-2 hover:underline">{{ fileName(m) }}</span>
                        <app-icon name="download" [size]="18" />
                      </a>
                    }
                    @default {
                      <p class="break-words whitespace-pre-wrap" data-testid="message-text">{{ m.content }}</p>
                    }
                  }
                  <span class="mt-0.5 flex items-center justify-end gap-1 text-[11px] select-none" [class]="(it.mine ? 'text-white/75 ' : 'text-slate-400 ') + (m.type !== 'TEXT' ? 'px-2 pb-1' : '')">
                    <time [attr.datetime]="m.timestamp">{{ time(m.timestamp) }}</time>
                    @if (it.tick; as t) {
                      <span class="inline-flex" [attr.aria-label]="tickLabel(t)" [title]="tickLabel(t)" data-testid="tick" [attr.data-tick]="t">
                        @switch (t) {
                          @case ('sending') { <app-icon name="clock" [size]="14" /> }
                          @case ('failed') { <app-icon name="alert" [size]="14" class="text-rose-200" /> }
                          @case ('sent') { <app-icon name="check" [size]="15" [stroke]="2" /> }
                          @case ('delivered') { <app-icon name="checks" [size]="16" [stroke]="2" /> }
                          @case ('read') { <app-icon name="checks" [size]="16" [stroke]="2.25" class="text-sky-300" /> }
                        }
                      </span>
                    }
                  </span>
                </div>
                @if (m.local === 'failed') {
                  <p class="mt-1 flex items-center gap-2 text-xs text-rose-600" role="alert">
                    <span>Not sent{{ m.error ? ': ' + m.error : '' }}</span>
                    <button type="button" class="font-semibold underline underline-offset-2" (click)="retry(m)" data-testid="retry">Retry</button>
                    <button type="button" class="text-slate-500 underline underline-offset-2" (click)="discard(m)">Delete</button>
                  </p>
                }
                @if (it.seen > 0) {
                  <p class="mt-1 text-[11px] text-slate-500" data-testid="seen-by">Seen by {{ it.seen }}</p>
                }
              </div>
            </li>
          }
        }
      </ol>
      @if (newBelow() > 0) {
        <div class="pointer-events-none sticky bottom-2 flex justify-center">
          <button type="button" class="pointer-events-auto flex items-center gap-1.5 rounded-full bg-brand-600 px-3.5 py-1.5 text-sm font-medium text-white shadow-lg hover:bg-brand-700" (click)="scrollToBottom(true)" data-testid="new-below">
            <app-icon name="arrowDown" [size]="16" /> {{ newBelow() }} new {{ newBelow() === 1 ? 'message' : 'messages' }}
          </button>
        </div>
      }
    </div>
    @if (viewing(); as src) {
      <app-image-viewer [src]="src" (closed)="viewing.set(null)" />
    }
  `,
  host: { class: 'block min-h-0' },
})
export class MessageListComponent implements AfterViewInit, OnDestroy {
  private readonly store = inject(Store);
  private readonly injector = inject(Injector);
  readonly chatId = input.required<number>();
  readonly room = input.required<RoomView>();
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly top = viewChild.required<ElementRef<HTMLElement>>('top');
  private readonly byRoom = this.store.selectSignal(messagesFeature.selectByRoom);
  private readonly meId = this.store.selectSignal(selectMeId);
  private readonly users = this.store.selectSignal(selectUsers);
  readonly log = computed(() => this.byRoom()[this.chatId()] ?? emptyLog());
  readonly viewing = signal<string | null>(null);
  readonly newBelow = signal(0);
  private atBottom = true;
  private initialDone = false;
  private prev = { first: '', last: '', height: 0, top: 0, count: 0 };
  private topObserver?: IntersectionObserver;
  private seenObserver?: IntersectionObserver;
  private readonly observed = new WeakSet<Element>();
  private readonly visible = new Set<string>();
  private readonly onVisibility = () => this.reportSeen();

  readonly items = computed<Item[]>(() => {
    const log = this.log();
    const meId = this.meId();
    const users = this.users();
    const room = this.room();
    const members = room.members;
    const msgs = log.keys.map((k) => log.byKey[k]).filter((m): m is ChatMessage => !!m);
    const out: Item[] = [];
    let lastDay = '';
    let latestMineIdx = -1;
    for (let i = msgs.length - 1; i >= 0; i--) {
      if (!msgs[i].local) {
        if (msgs[i].userId === meId) latestMineIdx = i;
        break;
      }
    }
    msgs.forEach((m, i) => {
      const day = new Date(m.timestamp).toDateString();
      if (day !== lastDay) {
        out.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.timestamp) });
        lastDay = day;
      }
      const prev = msgs[i - 1];
      const next = msgs[i + 1];
      const sameRun = (a?: ChatMessage, b?: ChatMessage) =>
        !!a && !!b && a.userId === b.userId && Math.abs(Date.parse(b.timestamp) - Date.parse(a.timestamp)) < 5 * 60_000 && new Date(a.timestamp).toDateString() === new Date(b.timestamp).toDateString();
      const mine = m.userId === meId;
      const u = users[m.userId];
      out.push({
        kind: 'msg',
        key: m.key,
        m,
        mine,
        first: !sameRun(prev, m),
        last: !sameRun(m, next),
        name: u?.fullName ?? 'Unknown',
        avatar: u?.avatar ?? null,
        color: colorFor(m.userId),
        tick: mine ? tickFor(m, members, meId) : null,
        seen: !room.isDm && i === latestMineIdx ? seenBy(m, members, meId) : 0,
      });
    });
    return out;
  });

  constructor() {
    // Before the DOM changes: remember which message is at the top of the view and where; after
    // it: follow the end (reader at the bottom, or own message), or put that message back in the
    // same place (older pages, spinners and day separators above it do not move the reading).
    effect(() => {
      const items = this.items();
      const loaded = this.log().loaded;
      untracked(() => {
        const el = this.scroller()?.nativeElement;
        const before = { ...this.prev };
        const msgs = items.filter((i) => i.kind === 'msg');
        const lastItem = msgs[msgs.length - 1];
        const last = lastItem?.key ?? '';
        const wasAtBottom = this.atBottom;
        const anchor = el ? this.topAnchor(el) : null;
        this.prev = { first: msgs[0]?.key ?? '', last, height: 0, top: 0, count: msgs.length };
        afterNextRender(
          () => {
            this.observeSeen();
            if (!el || !loaded) return;
            if (!this.initialDone) {
              if (msgs.length) {
                this.initialDone = true;
                this.scrollToBottom(false);
              }
              return;
            }
            const appended = last !== before.last && msgs.length >= before.count;
            const lastMsg = appended && lastItem?.kind === 'msg' ? lastItem : null;
            if (appended && (wasAtBottom || (lastMsg?.mine && lastMsg.m.local))) {
              this.scrollToBottom(false);
              return;
            }
            if (anchor) this.restoreAnchor(el, anchor);
            if (lastMsg && !lastMsg.mine) this.newBelow.update((n) => n + 1);
          },
          { injector: this.injector },
        );
      });
    });
  }

  /** The first message at least partly in view, and its offset from the top of the view. */
  private topAnchor(el: HTMLElement): { key: string; offset: number } | null {
    const top = el.getBoundingClientRect().top;
    for (const li of el.querySelectorAll<HTMLElement>('li[data-key]')) {
      const r = li.getBoundingClientRect();
      if (r.bottom > top) return { key: li.dataset['key']!, offset: r.top - top };
    }
    return null;
  }

  private restoreAnchor(el: HTMLElement, anchor: { key: string; offset: number }): void {
    const li = el.querySelector<HTMLElement>(`li[data-key="${CSS.escape(anchor.key)}"]`);
    if (!li) return;
    const delta = li.getBoundingClientRect().top - el.getBoundingClientRect().top - anchor.offset;
    if (Math.abs(delta) >= 1) el.scrollTop += delta;
  }

  ngAfterViewInit(): void {
    const root = this.scroller().nativeElement;
    this.topObserver = new IntersectionObserver(
      (entries) => {
        // Entries can be delivered late: check the position now, not when they were computed.
        if (entries.some((e) => e.isIntersecting) && root.scrollTop < 300) this.loadOlder();
      },
      { root, rootMargin: '300px 0px 0px 0px' },
    );
    this.topObserver.observe(this.top().nativeElement);
    this.seenObserver = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const id = (e.target as HTMLElement).dataset['seenId'];
          if (!id) continue;
          if (e.isIntersecting && (e.intersectionRatio >= 0.5 || e.intersectionRect.height >= 48)) this.visible.add(id);
          else this.visible.delete(id);
        }
        this.reportSeen();
      },
      { root, threshold: [0, 0.5, 1] },
    );
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('focus', this.onVisibility);
    this.observeSeen();
  }

  ngOnDestroy(): void {
    this.topObserver?.disconnect();
    this.seenObserver?.disconnect();
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('focus', this.onVisibility);
  }

  private observeSeen(): void {
    const root = this.scroller()?.nativeElement;
    if (!root || !this.seenObserver) return;
    root.querySelectorAll('[data-seen-id]').forEach((el) => {
      if (this.observed.has(el)) return;
      this.observed.add(el);
      this.seenObserver!.observe(el);
    });
  }

  private reportSeen(): void {
    if (document.visibilityState !== 'visible' || !this.visible.size) return;
    this.store.dispatch(messageActions.seen({ chatId: this.chatId(), messageIds: [...this.visible] }));
  }

  private loadOlder(): void {
    const log = this.log();
    if (!log.loaded || !log.hasMoreBefore || log.loadingOlder || !this.initialDone) return;
    this.store.dispatch(messageActions.loadOlder({ chatId: this.chatId() }));
  }

  onScroll(): void {
    const el = this.scroller().nativeElement;
    this.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (this.atBottom && this.newBelow()) this.newBelow.set(0);
    if (el.scrollTop < 300) this.loadOlder();
  }

  onMediaLoad(): void {
    if (this.atBottom) this.scrollToBottom(false);
  }

  scrollToBottom(smooth: boolean): void {
    const el = this.scroller().nativeElement;
    el.scrollTo({ top: el.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
    this.atBottom = true;
    this.newBelow.set(0);
  }

  time(iso: string): string {
    return clockTime(iso);
  }
  fileName(m: ChatMessage): string {
    return m.local ? m.content : fileNameOf(m.content);
  }
  tickLabel(t: Tick): string {
    return { sending: 'Sending', failed: 'Not sent', sent: 'Sent', delivered: 'Delivered', read: 'Read' }[t];
  }
  retry(m: ChatMessage): void {
    this.store.dispatch(messageActions.retry({ chatId: m.chatRoomId, clientMessageId: m.clientMessageId! }));
  }
  discard(m: ChatMessage): void {
    this.store.dispatch(messageActions.discard({ chatId: m.chatRoomId, clientMessageId: m.clientMessageId! }));
  }
}
