import { Injectable, signal } from '@angular/core';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error' | 'success';
}

@Injectable({ providedIn: 'root' })
export class ToastService {
  readonly toasts = signal<Toast[]>([]);
  private seq = 0;

  show(text: string, kind: Toast['kind'] = 'info', ms = 4000): void {
    const id = ++this.seq;
    this.toasts.update((t) => [...t.slice(-3), { id, text, kind }]);
    setTimeout(() => this.dismiss(id), ms);
  }
  error(text: string): void {
    this.show(text, 'error', 6000);
  }
  success(text: string): void {
    this.show(text, 'success');
  }
  dismiss(id: number): void {
    this.toasts.update((t) => t.filter((x) => x.id !== id));
  }
}
