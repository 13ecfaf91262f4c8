import { useSyncExternalStore } from 'react';

import { session, type SessionState } from './session';

/** The session as pages see it: re-renders on login, logout and a session that ended. */
export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.state);
}
