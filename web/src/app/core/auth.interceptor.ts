// Adds the access token to API calls; on a 401 refreshes once and retries. Only a failed refresh
// ends the session (AuthService sends the user to the login page then).
import { HttpErrorResponse, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, from, switchMap, throwError } from 'rxjs';
import { AuthService } from './auth.service';
import { API_BASE } from './config';

const withToken = (req: HttpRequest<unknown>, token: string) =>
  req.clone({ setHeaders: { Authorization: `Bearer ${token}` } });

export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const auth = inject(AuthService);
  const base = inject(API_BASE);
  const isApi = req.url.startsWith(base) || req.url.startsWith('/');
  if (!isApi || req.url.includes('/auth/')) return next(req);
  return from(auth.freshAccessToken()).pipe(
    switchMap((token) => next(withToken(req, token))),
    catchError((err: unknown) => {
      if (err instanceof HttpErrorResponse && err.status === 401) {
        return from(auth.refresh()).pipe(switchMap((token) => next(withToken(req, token))));
      }
      return throwError(() => err);
    }),
  );
};
