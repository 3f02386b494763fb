// A modal dialog: role=dialog with a label, focus moves in on open and back on close, Tab stays
// inside, Esc and a click on the backdrop close it.
import { AfterViewInit, Component, ElementRef, OnDestroy, input, output, viewChild } from '@angular/core';

let nextId = 0;
const FOCUSABLE = 'a[href],button:not([disabled]),input:not([disabled]),textarea:not([disabled]),select:not([disabled]),[tabindex]:not([tabindex="-1"])';

@Component({
  selector: 'app-dialog',
  template: `
    <div class="fixed inset-0 z-50 flex items-end justify-center bg-slate-900/50 p-0 backdrop-blur-[2px] sm:items-center sm:p-4" (mousedown)="onBackdrop($event)">
      <div
        #panel
        role="dialog"
        aria-modal="true"
        [attr.aria-labelledby]="titleId"
        class="flex max-h-[92vh] w-full flex-col overflow-hidden rounded-t-2xl bg-white shadow-2xl sm:rounded-2xl"
        [class]="wide() ? 'sm:max-w-2xl' : 'sm:max-w-md'"
        (keydown)="onKey($event)"
      >
        <div class="flex items-center justify-between border-b border-slate-100 px-5 py-4">
          <h2 [id]="titleId" class="text-base font-semibold text-slate-900">{{ heading() }}</h2>
          <button type="button" class="icon-btn -mr-2" (click)="closed.emit()" aria-label="Close dialog">
            <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" /></svg>
          </button>
        </div>
        <div class="scroll-thin min-h-0 flex-1 overflow-y-auto px-5 py-4">
          <ng-content />
        </div>
        <ng-content select="[dialog-actions]" />
      </div>
    </div>
  `,
})
export class DialogComponent implements AfterViewInit, OnDestroy {
  readonly heading = input.required<string>();
  readonly wide = input(false);
  readonly closed = output<void>();
  readonly titleId = `dlg-title-${++nextId}`;
  private readonly panel = viewChild.required<ElementRef<HTMLElement>>('panel');
  private readonly opener = document.activeElement as HTMLElement | null;

  ngAfterViewInit(): void {
    queueMicrotask(() => {
      const el = this.panel().nativeElement;
      const target = el.querySelector<HTMLElement>('[autofocus]') ?? el.querySelectorAll<HTMLElement>(FOCUSABLE)[1] ?? el;
      target.focus();
    });
  }

  ngOnDestroy(): void {
    if (this.opener && document.contains(this.opener)) this.opener.focus();
  }

  onBackdrop(e: MouseEvent): void {
    if (e.target === e.currentTarget) this.closed.emit();
  }

  onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.stopPropagation();
      e.preventDefault();
      this.closed.emit();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = [...this.panel().nativeElement.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((x) => x.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }
}

@Component({
  selector: 'app-confirm-dialog',
  imports: [DialogComponent],
  template: `
    <app-dialog [heading]="heading()" (closed)="cancel.emit()">
      <p class="text-sm text-slate-600">{{ text() }}</p>
      <div dialog-actions class="flex justify-end gap-2 border-t border-slate-100 bg-slate-50 px-5 py-3">
        <button type="button" class="btn-outline" (click)="cancel.emit()">Cancel</button>
        <button type="button" [class]="danger() ? 'btn-danger' : 'btn-primary'" (click)="confirm.emit()" autofocus>{{ confirmText() }}</button>
      </div>
    </app-dialog>
  `,
})
export class ConfirmDialogComponent {
  readonly heading = input.required<string>();
  readonly text = input('');
  readonly confirmText = input('Confirm');
  readonly danger = input(false);
  readonly confirm = output<void>();
  readonly cancel = output<void>();
}
