// Message composer: Enter sends, Shift+Enter is a new line; images and files attach with a
// preview. Typing events: `true` on the first keystroke (refreshed while typing goes on), `false`
// after 2 s without a keystroke, on send, and when leaving the room.
import { Component, ElementRef, OnDestroy, computed, inject, input, signal, viewChild } from '@angular/core';
import { Store } from '@ngrx/store';
import { ConnectionService } from '../../core/connection.service';
import { charLength } from '../../core/validation';
import { IconComponent } from '../../shared/icon.component';
import { messageActions } from '../../store/actions';

interface Attachment {
  file: File;
  url: string | null;
}

const IDLE_MS = 2_000;
const REFRESH_MS = 3_000;
const MAX_CHARS = 4_000;
const MAX_FILE_BYTES = 25 * 1024 * 1024;

@Component({
  selector: 'app-composer',
  imports: [IconComponent],
  template: `
    <div class="border-t border-slate-200 bg-white px-2 py-2 sm:px-4 sm:py-3">
      @if (attachments().length) {
        <ul class="mb-2 flex flex-wrap gap-2" aria-label="Attachments">
          @for (a of attachments(); track a.url ?? a.file.name; let i = $index) {
            <li class="relative">
              @if (a.url) {
                <img [src]="a.url" alt="Attachment preview" class="h-20 w-20 rounded-xl object-cover ring-1 ring-slate-200" data-testid="attachment-preview" />
              } @else {
                <span class="flex h-20 max-w-48 items-center gap-2 rounded-xl bg-slate-100 px-3 text-sm text-slate-700 ring-1 ring-slate-200"><app-icon name="file" /> <span class="truncate">{{ a.file.name }}</span></span>
              }
              <button type="button" class="absolute -top-2 -right-2 flex h-6 w-6 items-center justify-center rounded-full bg-slate-800 text-xs text-white shadow" (click)="remove(i)" [attr.aria-label]="'Remove attachment ' + a.file.name">✕</button>
            </li>
          }
        </ul>
      }
      @if (error()) { <p class="mb-1 text-xs text-rose-600" role="alert">{{ error() }}</p> }
      <form class="flex items-end gap-2" (submit)="$event.preventDefault(); send()">
        <input #file type="file" class="hidden" multiple (change)="picked($event)" data-testid="file-input" aria-hidden="true" tabindex="-1" />
        <button type="button" class="icon-btn mb-0.5" (click)="file.click()" aria-label="Attach image or file" title="Attach"><app-icon name="paperclip" [size]="22" /></button>
        <label for="composer-input" class="sr-only">Message</label>
        <textarea
          #box
          id="composer-input"
          rows="1"
          class="scroll-thin max-h-40 min-h-10 flex-1 resize-none rounded-2xl border border-slate-200 bg-slate-50 px-4 py-2 text-[15px] leading-6 placeholder:text-slate-400 focus:border-brand-500 focus:bg-white focus:ring-2 focus:ring-brand-100 focus:outline-none"
          placeholder="Write a message…"
          [value]="text()"
          (input)="onInput($event)"
          (keydown)="onKey($event)"
          (paste)="onPaste($event)"
          aria-describedby="composer-hint"
          data-testid="composer"
        ></textarea>
        <span id="composer-hint" class="sr-only">Enter sends, Shift+Enter adds a new line</span>
        <button type="submit" class="mb-0.5 flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-brand-600 text-white shadow-sm transition hover:bg-brand-700 disabled:bg-slate-300" [disabled]="!canSend()" aria-label="Send message" data-testid="send">
          <app-icon name="send" [size]="19" />
        </button>
      </form>
      @if (count() > MAX_CHARS - 200) {
        <p class="mt-1 text-right text-xs" [class]="count() > MAX_CHARS ? 'text-rose-600' : 'text-slate-400'">{{ count() }} / {{ MAX_CHARS }}</p>
      }
    </div>
  `,
})
export class ComposerComponent implements OnDestroy {
  private readonly store = inject(Store);
  private readonly conn = inject(ConnectionService);
  readonly chatId = input.required<number>();
  private readonly box = viewChild.required<ElementRef<HTMLTextAreaElement>>('box');
  readonly MAX_CHARS = MAX_CHARS;
  readonly text = signal('');
  readonly attachments = signal<Attachment[]>([]);
  readonly error = signal<string | null>(null);
  readonly count = computed(() => charLength(this.text()));
  readonly canSend = computed(() => (this.text().trim().length > 0 && this.count() <= MAX_CHARS) || this.attachments().length > 0);
  private typing = false;
  private lastTypingSent = 0;
  private idle?: ReturnType<typeof setTimeout>;

  onInput(e: Event): void {
    const el = e.target as HTMLTextAreaElement;
    this.text.set(el.value);
    this.autosize(el);
    if (el.value.length === 0) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (!this.typing || now - this.lastTypingSent > REFRESH_MS) {
      this.typing = true;
      this.lastTypingSent = now;
      this.conn.publish('/app/chat.typing', { chatId: this.chatId(), typing: true });
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stopTyping(), IDLE_MS);
  }

  onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  onPaste(e: ClipboardEvent): void {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      this.add(files);
    }
  }

  picked(e: Event): void {
    const input = e.target as HTMLInputElement;
    this.add([...(input.files ?? [])]);
    input.value = '';
  }

  private add(files: File[]): void {
    this.error.set(null);
    const ok = files.filter((f) => f.size <= MAX_FILE_BYTES);
    if (ok.length < files.length) this.error.set('Files larger than 25 MB cannot be sent.');
    this.attachments.update((list) => [...list, ...ok.map((file) => ({ file, url: file.type.startsWith('image/') ? URL.createObjectURL(file) : null }))]);
    this.box().nativeElement.focus();
  }

  remove(i: number): void {
    this.attachments.update((list) => {
      const a = list[i];
      if (a?.url) URL.revokeObjectURL(a.url);
      return list.filter((_, j) => j !== i);
    });
  }

  send(): void {
    if (!this.canSend()) return;
    const chatId = this.chatId();
    let lastAttachment: string | undefined;
    for (const a of this.attachments()) {
      lastAttachment = crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      this.store.dispatch(messageActions.sendFile({ chatId, file: a.file, clientMessageId: lastAttachment }));
      if (a.url) URL.revokeObjectURL(a.url);
    }
    this.attachments.set([]);
    const content = this.text();
    // Typed text goes as its own message, after the attachments (as in the original client).
    if (content.trim()) this.store.dispatch(messageActions.sendText({ chatId, content, after: lastAttachment }));
    this.text.set('');
    const el = this.box().nativeElement;
    el.value = '';
    this.autosize(el);
    this.stopTyping();
    el.focus();
  }

  private stopTyping(): void {
    clearTimeout(this.idle);
    if (!this.typing) return;
    this.typing = false;
    this.conn.publish('/app/chat.typing', { chatId: this.chatId(), typing: false });
  }

  private autosize(el: HTMLTextAreaElement): void {
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }

  ngOnDestroy(): void {
    this.stopTyping();
  }
}
