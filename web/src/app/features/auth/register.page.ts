import { Component, inject, signal } from '@angular/core';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { toApiError } from '../../core/api.service';
import { AuthService } from '../../core/auth.service';
import { bioError, emailError, fullNameError, passwordError, rule, usernameError } from '../../core/validation';
import { AuthLayoutComponent } from './auth-layout.component';

type Field = 'fullName' | 'username' | 'email' | 'password' | 'confirmPassword' | 'bio';

@Component({
  selector: 'app-register-page',
  imports: [ReactiveFormsModule, RouterLink, AuthLayoutComponent],
  template: `
    <app-auth-layout heading="Create your account" sub="Chat with your people in real time">
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="space-y-4" aria-label="Create account">
        @for (f of fields; track f.name) {
          <div>
            <label class="label" [for]="'reg-' + f.name">{{ f.label }} @if (f.optional) {<span class="font-normal text-slate-400">(optional)</span>}</label>
            @if (f.name === 'bio') {
              <textarea [id]="'reg-' + f.name" class="field min-h-20" [formControlName]="f.name" [class.field-invalid]="!!msg(f.name)" [attr.aria-invalid]="!!msg(f.name)" [attr.aria-describedby]="'reg-' + f.name + '-err'"></textarea>
            } @else {
              <input [id]="'reg-' + f.name" class="field" [type]="f.type" [formControlName]="f.name" [attr.autocomplete]="f.auto" autocapitalize="none" [class.field-invalid]="!!msg(f.name)" [attr.aria-invalid]="!!msg(f.name)" [attr.aria-describedby]="'reg-' + f.name + '-err'" />
            }
            @if (msg(f.name); as m) {
              <p [id]="'reg-' + f.name + '-err'" class="field-error" [attr.data-field-error]="f.name">{{ m }}</p>
            } @else if (f.hint) {
              <p [id]="'reg-' + f.name + '-err'" class="mt-1 text-xs text-slate-500">{{ f.hint }}</p>
            }
          </div>
        }
        @if (error()) {
          <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700 ring-1 ring-rose-200" role="alert" data-testid="form-error">{{ error() }}</p>
        }
        <button type="submit" class="btn-primary w-full py-2.5" [disabled]="busy()">{{ busy() ? 'Creating account…' : 'Create account' }}</button>
      </form>
      <p below class="mt-6 text-center text-sm text-slate-600">
        Already have an account? <a routerLink="/login" class="font-medium text-brand-600 hover:text-brand-700">Sign in</a>
      </p>
    </app-auth-layout>
  `,
  host: { class: 'block h-full' },
})
export class RegisterPage {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);
  readonly submitted = signal(false);
  readonly serverErrors = signal<Partial<Record<Field, string>>>({});

  readonly fields: { name: Field; label: string; type: string; auto: string; hint?: string; optional?: boolean }[] = [
    { name: 'fullName', label: 'Full name', type: 'text', auto: 'name' },
    { name: 'username', label: 'Username', type: 'text', auto: 'username', hint: '3–32 letters, digits or underscores' },
    { name: 'email', label: 'Email', type: 'email', auto: 'email' },
    { name: 'password', label: 'Password', type: 'password', auto: 'new-password', hint: '8–64 characters with a lowercase and an uppercase letter, a digit and a symbol' },
    { name: 'confirmPassword', label: 'Confirm password', type: 'password', auto: 'new-password' },
    { name: 'bio', label: 'Bio', type: 'text', auto: 'off', optional: true },
  ];

  readonly form = new FormGroup(
    {
      fullName: new FormControl('', { nonNullable: true, validators: [rule(fullNameError)] }),
      username: new FormControl('', { nonNullable: true, validators: [rule(usernameError)] }),
      email: new FormControl('', { nonNullable: true, validators: [rule(emailError)] }),
      password: new FormControl('', { nonNullable: true, validators: [rule(passwordError)] }),
      confirmPassword: new FormControl('', { nonNullable: true }),
      bio: new FormControl('', { nonNullable: true, validators: [rule(bioError)] }),
    },
    { validators: (g: AbstractControl): ValidationErrors | null => (g.get('password')?.value === g.get('confirmPassword')?.value ? null : { mismatch: true }) },
  );

  constructor() {
    this.form.valueChanges.subscribe(() => {
      if (Object.keys(this.serverErrors()).length) this.serverErrors.set({});
    });
  }

  msg(name: Field): string | null {
    const c = this.form.controls[name];
    const show = c.touched || this.submitted();
    const server = this.serverErrors()[name];
    if (server) return server;
    if (!show) return null;
    if (name === 'confirmPassword') {
      if (!c.value) return 'Please confirm your password';
      return this.form.hasError('mismatch') ? 'Passwords do not match' : null;
    }
    return (c.errors?.['rule'] as string | undefined) ?? null;
  }

  submit(): void {
    this.submitted.set(true);
    this.error.set(null);
    this.form.markAllAsTouched();
    if (this.form.invalid) {
      const first = this.fields.find((f) => this.msg(f.name));
      if (first) document.getElementById('reg-' + first.name)?.focus();
      return;
    }
    this.busy.set(true);
    const v = this.form.getRawValue();
    this.auth
      .register({ fullName: v.fullName, username: v.username, email: v.email, password: v.password, ...(v.bio ? { bio: v.bio } : {}) })
      .subscribe({
        next: (pair) => {
          this.auth.startSession(pair);
          this.router.navigateByUrl('/');
        },
        error: (e) => {
          this.busy.set(false);
          const err = toApiError(e);
          if (err.errors && Object.keys(err.errors).length) this.serverErrors.set(err.errors as Partial<Record<Field, string>>);
          if (err.status === 409) {
            const m = err.message.toLowerCase();
            if (m.includes('username')) this.serverErrors.set({ username: err.message });
            else if (m.includes('email')) this.serverErrors.set({ email: err.message });
            else this.error.set(err.message);
          } else if (!err.errors) {
            this.error.set(err.message);
          }
        },
      });
  }
}
