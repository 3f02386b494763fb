import { Routes, UrlMatchResult, UrlSegment } from '@angular/router';
import { authGuard, guestGuard } from './core/auth.guard';

/** `/` and `/chats/:id` are one route, so the chat home (and its sidebar) stays while rooms change. */
export function chatMatcher(segments: UrlSegment[]): UrlMatchResult | null {
  if (segments.length === 0) return { consumed: [] };
  if (segments.length === 2 && segments[0].path === 'chats') return { consumed: segments, posParams: { id: segments[1] } };
  return null;
}

export const routes: Routes = [
  {
    path: 'login',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/auth/login.page').then((m) => m.LoginPage),
    title: 'Sign in · Parley',
  },
  {
    path: 'register',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/auth/register.page').then((m) => m.RegisterPage),
    title: 'Create account · Parley',
  },
  {
    path: '',
    canActivate: [authGuard],
    loadComponent: () => import('./features/shell/session-shell').then((m) => m.SessionShell),
    children: [
      { matcher: chatMatcher, loadComponent: () => import('./features/chat/chat-home.page').then((m) => m.ChatHomePage) },
      { path: 'me', redirectTo: 'user/me' },
      { path: 'user/:username', loadComponent: () => import('./features/profile/profile.page').then((m) => m.ProfilePage) },
      { path: 'group/:id', loadComponent: () => import('./features/group/group.page').then((m) => m.GroupPage) },
      { path: 'group', redirectTo: '' },
    ],
  },
  { path: '**', redirectTo: 'login' },
];
