// A value shown as text with an Edit button; editing opens an input with Save/Cancel (Enter saves,
// Esc cancels). Validation and server errors are shown inline under the field.
import { Component, ElementRef, input, signal, viewChild } from '@angular/core';

let nextId = 0;

@Component({
  selector: 'app-editable-field',
  template: `
    <div class="py-3">
      <div class="flex items-center justify-between gap-3">
        <span class="text-xs font-medium tracking-wide text-slate-500 uppercase" [id]="labelId">{{ label() }}</span>
        @if (canEdit() && !editing()) {
          <button type="button" class="rounded-md px-2 py-1 text-xs font-medium text-brand-600 hover:bg-brand-50" (click)="start()" [attr.aria-label]="'Edit ' + label().toLowerCase()" [attr.data-edit]="testKey()">Edit</button>
        }
      </div>
      @if (editing()) {
        <form class="mt-1.5" (submit)="$event.preventDefault(); save()">
          @if (multiline()) {
            <textarea #field class="field min-h-20" [attr.aria-labelledby]="labelId" [value]="draft()" (input)="draft.set($any($event.target).value)" (keydown.escape)="cancel($event)" [class.field-invalid]="!!error()" [attr.data-input]="testKey()"></textarea>
          } @else {
            <input #field class="field" [type]="type()" [attr.aria-labelledby]="labelId" [value]="draft()" (input)="draft.set($any($event.target).value)" (keydown.escape)="cancel($event)" [class.field-invalid]="!!error()" [attr.data-input]="testKey()" />
          }
          @if (error()) { <p class="field-error" role="alert">{{ error() }}</p> }
          <div class="mt-2 flex gap-2">
            <button type="submit" class="btn-primary py-1.5" [disabled]="busy()" [attr.data-save]="testKey()">{{ busy() ? 'Saving…' : 'Save' }}</button>
            <button type="button" class="btn-ghost py-1.5" (click)="cancel()">Cancel</button>
          </div>
        </form>
      } @else {
        <p class="mt-0.5 text-[15px] break-words whitespace-pre-wrap" [class]="value() ? 'text-slate-900' : 'text-slate-400 italic'" [attr.data-value]="testKey()">{{ value() || placeholder() }}</p>
      }
    </div>
  `,
})
export class EditableFieldComponent {
  readonly label = input.required<string>();
  readonly value = input<string | null | undefined>('');
  readonly placeholder = input('Not set');
  readonly multiline = input(false);
  readonly type = input('text');
  readonly canEdit = input(true);
  readonly testKey = input('');
  readonly validate = input<(v: string) => string | null>(() => null);
  /** Saves the value; resolves with an error message, or null on success. */
  readonly onSave = input.required<(v: string) => Promise<string | null>>();
  readonly labelId = `ef-${++nextId}`;
  readonly editing = signal(false);
  readonly draft = signal('');
  readonly error = signal<string | null>(null);
  readonly busy = signal(false);
  private readonly field = viewChild<ElementRef<HTMLInputElement | HTMLTextAreaElement>>('field');

  start(): void {
    this.draft.set(this.value() ?? '');
    this.error.set(null);
    this.editing.set(true);
    queueMicrotask(() => setTimeout(() => this.field()?.nativeElement.focus()));
  }

  cancel(e?: Event): void {
    e?.stopPropagation();
    e?.preventDefault();
    this.editing.set(false);
    this.error.set(null);
  }

  async save(): Promise<void> {
    const v = this.draft();
    const err = this.validate()(v);
    if (err) {
      this.error.set(err);
      return;
    }
    this.busy.set(true);
    const serverErr = await this.onSave()(v);
    this.busy.set(false);
    if (serverErr) this.error.set(serverErr);
    else this.editing.set(false);
  }
}
