import { ApplicationConfig, provideBrowserGlobalErrorListeners, isDevMode } from '@angular/core';
import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { ActionReducer, MetaReducer, provideStore } from '@ngrx/store';
import { provideEffects } from '@ngrx/effects';
import { routes } from './app.routes';
import { authInterceptor } from './core/auth.interceptor';
import { sessionActions } from './store/actions';
import { MessagesEffects, RoomsEffects, SessionEffects } from './store/effects';
import { messagesFeature } from './store/messages.reducer';
import { presenceFeature } from './store/presence.reducer';
import { roomsFeature } from './store/rooms.reducer';
import { sessionFeature } from './store/session.reducer';

/** Logging out resets every slice. */
export function clearOnLogout(reducer: ActionReducer<any>): ActionReducer<any> {
  return (state, action) => reducer(action.type === sessionActions.loggedOut.type ? undefined : state, action);
}

const metaReducers: MetaReducer[] = [clearOnLogout];

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(withInterceptors([authInterceptor])),
    provideStore(
      {
        [sessionFeature.name]: sessionFeature.reducer,
        [roomsFeature.name]: roomsFeature.reducer,
        [messagesFeature.name]: messagesFeature.reducer,
        [presenceFeature.name]: presenceFeature.reducer,
      },
      { metaReducers, runtimeChecks: { strictStateImmutability: isDevMode(), strictActionImmutability: false } },
    ),
    provideEffects(SessionEffects, RoomsEffects, MessagesEffects),
  ],
};
