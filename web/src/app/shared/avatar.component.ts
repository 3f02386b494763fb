import { Component, computed, input, signal } from '@angular/core';

const PALETTE = ['#6366f1', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#ec4899', '#14b8a6', '#f97316', '#64748b'];

export function colorFor(seed: string): string {
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (h * 31 + seed.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return '?';
  const first = [...parts[0]][0] ?? '';
  const last = parts.length > 1 ? ([...parts[parts.length - 1]][0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** A round avatar: the image when there is one (and it loads), else initials on a stable colour. */
@Component({
  selector: 'app-avatar',
  template: `
    <span
      class="relative inline-flex shrink-0 select-none items-center justify-center overflow-hidden rounded-full font-semibold text-white"
      [style.width.px]="size()"
      [style.height.px]="size()"
      [style.font-size.px]="size() * 0.38"
      [style.background]="showImage() ? '#e2e8f0' : color()"
      [attr.aria-hidden]="true"
    >
      @if (showImage()) {
        <img [src]="src()" alt="" class="h-full w-full object-cover" (error)="failed.set(src())" />
      } @else {
        {{ letters() }}
      }
      @if (online()) {
        <span class="absolute right-0 bottom-0 block rounded-full bg-emerald-500 ring-2 ring-white" [style.width.px]="size() * 0.28" [style.height.px]="size() * 0.28"></span>
      }
    </span>
  `,
  host: { class: 'inline-flex' },
})
export class AvatarComponent {
  readonly name = input<string>('');
  readonly src = input<string | null | undefined>(null);
  readonly size = input<number>(40);
  readonly seed = input<string>('');
  readonly online = input<boolean>(false);
  readonly failed = signal<string | null | undefined>(null);
  readonly showImage = computed(() => !!this.src() && this.failed() !== this.src());
  readonly letters = computed(() => initials(this.name()));
  readonly color = computed(() => colorFor(this.seed() || this.name()));
}
