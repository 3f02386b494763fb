// Client-side validation identical to the server's rules (API.md, POST /auth/register;
// src/auth/validation.cpp): character classes are ASCII, lengths count code points, and
// "whitespace" is Unicode's White_Space property.
import { AbstractControl, ValidationErrors, ValidatorFn } from '@angular/forms';

export const USERNAME_RE = /^[A-Za-z0-9_]{3,32}$/;
export const EMAIL_RE = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const WHITESPACE = /[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const BIO_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;

/** Length in code points, as the server counts characters. */
export function charLength(s: string): number {
  return [...s].length;
}

export function usernameError(v: string): string | null {
  if (!v) return 'Username is required';
  if (!USERNAME_RE.test(v)) return 'Use 3–32 letters, digits or underscores';
  return null;
}

export function passwordError(v: string): string | null {
  if (!v) return 'Password is required';
  const n = charLength(v);
  if (n < 8 || n > 64) return 'Password must be 8–64 characters';
  if (WHITESPACE.test(v)) return 'Password must not contain spaces';
  const missing: string[] = [];
  if (!/[a-z]/.test(v)) missing.push('a lowercase letter');
  if (!/[A-Z]/.test(v)) missing.push('an uppercase letter');
  if (!/[0-9]/.test(v)) missing.push('a digit');
  if (![...v].some((c) => !/[A-Za-z0-9]/.test(c))) missing.push('a symbol');
  if (missing.length) return `Add ${missing.join(', ')}`;
  return null;
}

export function emailError(v: string): string | null {
  if (!v) return 'Email is required';
  if (v.length > 254) return 'Email must be at most 254 characters';
  if (!EMAIL_RE.test(v)) return 'Enter a valid email address';
  return null;
}

export function fullNameError(v: string): string | null {
  const n = charLength(v);
  if (n === 0) return 'Full name is required';
  if (n < 2 || n > 100) return 'Full name must be 2–100 characters';
  if ([...v].every((c) => WHITESPACE.test(c))) return 'Full name must not be blank';
  if (CONTROL.test(v)) return 'Full name must not contain control characters';
  return null;
}

export function bioError(v: string | null | undefined): string | null {
  if (!v) return null;
  if (charLength(v) > 255) return 'Bio must be at most 255 characters';
  if (BIO_CONTROL.test(v)) return 'Bio must not contain control characters';
  return null;
}

/** Wraps a rule as an Angular validator; the error text is under `rule`. */
export function rule(check: (v: string) => string | null): ValidatorFn {
  return (c: AbstractControl): ValidationErrors | null => {
    const msg = check((c.value ?? '') as string);
    return msg ? { rule: msg } : null;
  };
}
