import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { TokenStore } from './token-store';

/** A session exists when a refresh token is stored; an expired access token is refreshed on use. */
export const authGuard: CanActivateFn = () => {
  const tokens = inject(TokenStore);
  return tokens.refreshToken() ? true : inject(Router).createUrlTree(['/login']);
};

export const guestGuard: CanActivateFn = () => {
  const tokens = inject(TokenStore);
  return tokens.refreshToken() ? inject(Router).createUrlTree(['/']) : true;
};
