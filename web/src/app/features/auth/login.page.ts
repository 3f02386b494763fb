import { Component, inject, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { toApiError } from '../../core/api.service';
import { AuthService } from '../../core/auth.service';
import { AuthLayoutComponent } from './auth-layout.component';

@Component({
  selector: 'app-login-page',
  imports: [ReactiveFormsModule, RouterLink, AuthLayoutComponent],
  template: `
    <app-auth-layout heading="Welcome back" sub="Sign in to continue to Parley">
      @if (expired) {
        <p class="mb-4 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800 ring-1 ring-amber-200" role="status">Your session has ended. Please sign in again.</p>
      }
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="space-y-4" aria-label="Sign in">
        <div>
          <label class="label" for="login-username">Username</label>
          <input id="login-username" class="field" formControlName="username" autocomplete="username" autocapitalize="none" [class.field-invalid]="shown('username')" [attr.aria-invalid]="shown('username')" aria-describedby="login-username-err" autofocus />
          @if (shown('username')) { <p id="login-username-err" class="field-error">Username is required</p> }
        </div>
        <div>
          <label class="label" for="login-password">Password</label>
          <input id="login-password" class="field" type="password" formControlName="password" autocomplete="current-password" [class.field-invalid]="shown('password')" [attr.aria-invalid]="shown('password')" aria-describedby="login-password-err" />
          @if (shown('password')) { <p id="login-password-err" class="field-error">Password is required</p> }
        </div>
        @if (error()) {
          <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700 ring-1 ring-rose-200" role="alert" data-testid="form-error">{{ error() }}</p>
        }
        <button type="submit" class="btn-primary w-full py-2.5" [disabled]="busy()">{{ busy() ? 'Signing in…' : 'Sign in' }}</button>
      </form>
      <p below class="mt-6 text-center text-sm text-slate-600">
        New to Parley? <a routerLink="/register" class="font-medium text-brand-600 hover:text-brand-700">Create an account</a>
      </p>
    </app-auth-layout>
  `,
  host: { class: 'block h-full' },
})
export class LoginPage {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  readonly expired = !!inject(ActivatedRoute).snapshot.queryParamMap.get('expired');
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);
  readonly submitted = signal(false);
  readonly form = new FormGroup({
    username: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
    password: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
  });

  shown(name: 'username' | 'password'): boolean {
    const c = this.form.controls[name];
    return c.invalid && (c.touched || this.submitted());
  }

  submit(): void {
    this.submitted.set(true);
    this.error.set(null);
    if (this.form.invalid) return;
    this.busy.set(true);
    const { username, password } = this.form.getRawValue();
    this.auth.login(username.trim(), password).subscribe({
      next: (pair) => {
        this.auth.startSession(pair);
        this.router.navigateByUrl('/');
      },
      error: (e) => {
        this.busy.set(false);
        const err = toApiError(e);
        this.error.set(err.status === 401 ? 'Wrong username or password.' : err.message);
      },
    });
  }
}
