import { Component, HostListener, computed, inject, input } from '@angular/core';
import { Router } from '@angular/router';
import { SidebarComponent } from './sidebar.component';
import { ChatPaneComponent } from './chat-pane.component';

/** Sidebar and conversation: side by side on a desktop, one at a time on a phone. */
@Component({
  selector: 'app-chat-home',
  imports: [SidebarComponent, ChatPaneComponent],
  template: `
    <div class="flex h-dvh overflow-hidden bg-slate-100">
      <aside
        class="w-full shrink-0 flex-col border-r border-slate-200 bg-white md:flex md:w-[340px] lg:w-[380px]"
        [class.hidden]="chatId() !== null"
        [class.flex]="chatId() === null"
        aria-label="Conversations"
      >
        <app-sidebar [selectedId]="chatId()" />
      </aside>
      <main class="min-w-0 flex-1 flex-col md:flex" [class.hidden]="chatId() === null" [class.flex]="chatId() !== null">
        @if (chatId(); as cid) {
          @for (id of [cid]; track id) {
            <app-chat-pane [chatId]="id" />
          }
        } @else {
          <div class="flex flex-1 flex-col items-center justify-center gap-3 p-8 text-center text-slate-500">
            <div class="flex h-16 w-16 items-center justify-center rounded-2xl bg-white text-brand-500 shadow-sm ring-1 ring-slate-200">
              <svg width="30" height="30" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.75" stroke-linejoin="round" aria-hidden="true"><path d="M4 5h16v11H9l-5 4V5z" /></svg>
            </div>
            <p class="text-base font-medium text-slate-700">Select a conversation</p>
            <p class="max-w-xs text-sm">Pick a chat on the left, or start a new one with the + button.</p>
          </div>
        }
      </main>
    </div>
  `,
  host: { class: 'block h-full' },
})
export class ChatHomePage {
  private readonly router = inject(Router);
  readonly id = input<string | undefined>();
  readonly chatId = computed(() => {
    const n = Number(this.id());
    return this.id() && Number.isInteger(n) && n > 0 ? n : null;
  });

  /** Esc closes the open conversation (dialogs stop the event first). */
  @HostListener('document:keydown.escape', ['$event'])
  onEscape(e: Event): void {
    if (e.defaultPrevented || this.chatId() === null) return;
    const t = e.target as HTMLElement | null;
    if (t?.closest('[role="dialog"],[role="menu"]')) return;
    this.router.navigateByUrl('/');
  }
}
