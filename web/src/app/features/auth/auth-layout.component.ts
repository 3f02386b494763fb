import { Component, input } from '@angular/core';

@Component({
  selector: 'app-auth-layout',
  template: `
    <main class="flex min-h-full items-center justify-center bg-slate-100 px-4 py-10">
      <div class="w-full max-w-md">
        <div class="mb-6 flex flex-col items-center text-center">
          <div class="mb-3 flex h-12 w-12 items-center justify-center rounded-2xl bg-brand-600 text-white shadow-lg shadow-brand-600/30">
            <svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" aria-hidden="true"><path d="M4 5h16v11H9l-5 4V5z" /></svg>
          </div>
          <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{{ heading() }}</h1>
          <p class="mt-1 text-sm text-slate-500">{{ sub() }}</p>
        </div>
        <div class="card p-6 sm:p-8">
          <ng-content />
        </div>
        <ng-content select="[below]" />
      </div>
    </main>
  `,
  host: { class: 'block h-full' },
})
export class AuthLayoutComponent {
  readonly heading = input.required<string>();
  readonly sub = input('');
}
