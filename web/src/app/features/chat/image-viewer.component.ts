import { AfterViewInit, Component, ElementRef, OnDestroy, input, output, viewChild } from '@angular/core';

@Component({
  selector: 'app-image-viewer',
  template: `
    <div class="fixed inset-0 z-50 flex flex-col bg-slate-950/90" role="dialog" aria-modal="true" aria-label="Image viewer" (keydown.escape)="close($event)" (click)="onBackdrop($event)" data-testid="image-viewer">
      <div class="flex justify-end gap-2 p-3">
        <a [href]="src()" target="_blank" rel="noopener" class="rounded-full bg-white/10 px-3 py-1.5 text-sm text-white hover:bg-white/20">Open original</a>
        <button #closeBtn type="button" class="flex h-9 w-9 items-center justify-center rounded-full bg-white/10 text-white hover:bg-white/20" (click)="closed.emit()" aria-label="Close image viewer">✕</button>
      </div>
      <div class="flex min-h-0 flex-1 items-center justify-center p-4" data-backdrop="1">
        <img [src]="src()" alt="Shared image, full size" class="max-h-full max-w-full rounded-lg object-contain shadow-2xl" />
      </div>
    </div>
  `,
})
export class ImageViewerComponent implements AfterViewInit, OnDestroy {
  readonly src = input.required<string>();
  readonly closed = output<void>();
  private readonly closeBtn = viewChild.required<ElementRef<HTMLButtonElement>>('closeBtn');
  private readonly opener = document.activeElement as HTMLElement | null;

  ngAfterViewInit(): void {
    this.closeBtn().nativeElement.focus();
  }
  ngOnDestroy(): void {
    this.opener?.focus?.();
  }
  close(e: Event): void {
    e.preventDefault();
    e.stopPropagation();
    this.closed.emit();
  }
  onBackdrop(e: MouseEvent): void {
    if ((e.target as HTMLElement).dataset['backdrop']) this.closed.emit();
  }
}
