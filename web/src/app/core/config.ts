import { InjectionToken } from '@angular/core';

/** Where the API lives; the SPA is served by parley itself, so the default is the page's origin. */
export const API_BASE = new InjectionToken<string>('API_BASE', {
  providedIn: 'root',
  factory: () => (typeof location !== 'undefined' ? location.origin : ''),
});
