import { Component, inject } from '@angular/core';
import { ToastService } from '../core/toast.service';

@Component({
  selector: 'app-toasts',
  template: `
    <div class="pointer-events-none fixed inset-x-0 bottom-4 z-[60] flex flex-col items-center gap-2 px-4" aria-live="polite" role="status">
      @for (t of toasts.toasts(); track t.id) {
        <div
          class="pointer-events-auto flex max-w-md items-center gap-3 rounded-xl px-4 py-2.5 text-sm shadow-lg ring-1"
          [class]="t.kind === 'error' ? 'bg-rose-600 text-white ring-rose-700' : t.kind === 'success' ? 'bg-emerald-600 text-white ring-emerald-700' : 'bg-slate-900 text-white ring-slate-800'"
        >
          <span>{{ t.text }}</span>
          <button type="button" class="text-white/70 hover:text-white" (click)="toasts.dismiss(t.id)" aria-label="Dismiss">✕</button>
        </div>
      }
    </div>
  `,
})
export class ToastsComponent {
  readonly toasts = inject(ToastService);
}
