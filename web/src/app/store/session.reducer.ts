import { createFeature, createReducer, on } from '@ngrx/store';
import { User, UserSummary } from '../core/models';
import { roomActions, sessionActions } from './actions';

export interface SessionState {
  me: User | null;
  /** The signed-in user's id, known from the token before /users/me answers. */
  userId: string | null;
  /** Every user the client has met (members, search results): names and avatars for messages. */
  users: Record<string, UserSummary>;
}

export const initialSessionState: SessionState = { me: null, userId: null, users: {} };

function addUsers(users: Record<string, UserSummary>, list: UserSummary[]): Record<string, UserSummary> {
  let out = users;
  for (const u of list) {
    const cur = out[u.userId];
    if (cur && cur.fullName === u.fullName && cur.avatar === u.avatar && cur.username === u.username && cur.bio === u.bio) continue;
    if (out === users) out = { ...users };
    out[u.userId] = { ...cur, ...u };
  }
  return out;
}

export const sessionFeature = createFeature({
  name: 'session',
  reducer: createReducer(
    initialSessionState,
    on(sessionActions.started, (s, { userId }) => ({ ...s, userId })),
    on(sessionActions.meLoaded, (s, { user }) => ({ ...s, me: user, userId: user.userId, users: addUsers(s.users, [user]) })),
    on(sessionActions.usersSeen, (s, { users }) => ({ ...s, users: addUsers(s.users, users) })),
    on(roomActions.loaded, (s, { rooms }) => ({
      ...s,
      users: addUsers(s.users, rooms.flatMap((r) => (r.members ?? []).map((m) => m.user))),
    })),
    on(roomActions.upserted, roomActions.created, (s, { room }) => ({
      ...s,
      users: addUsers(s.users, (room.members ?? []).map((m) => m.user)),
    })),
    on(roomActions.membersLoaded, (s, { members }) => ({ ...s, users: addUsers(s.users, members.map((m) => m.user)) })),
  ),
});
