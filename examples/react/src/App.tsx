import type { ComponentType } from 'react';

import { session } from './auth/session';
import { useSession } from './auth/use-session';
import { AdminPage } from './pages/AdminPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { ProfilePage } from './pages/ProfilePage';
import { Link, Redirect, useLocation } from './router';

const PAGES: Record<string, ComponentType> = {
  '/': HomePage,
  '/login': LoginPage,
  '/profile': ProfilePage,
  '/admin': AdminPage,
};
const GUARDED = ['/profile', '/admin'];

export function App() {
  const { signedIn, user } = useSession();
  return (
    <>
      <header>
        <Link to="/">Home</Link>
        <Link to="/profile" data-testid="nav-profile">Profile</Link>
        <Link to="/admin">Admin</Link>
        {signedIn && (
          <>
            <span>Signed in{user ? ` as ${user.username}` : ''}</span>
            <button type="button" onClick={() => void session.logout()}>Sign out</button>
          </>
        )}
      </header>
      <main>
        <Routes signedIn={signedIn} />
      </main>
    </>
  );
}

/**
 * Guarded pages send a logged-out user to /login and back after login; a session that ends
 * on one of them (logout, here or in another tab, or a refused refresh) shows the login page.
 */
function Routes({ signedIn }: { signedIn: boolean }) {
  const { path, params, href } = useLocation();
  if (GUARDED.includes(path) && !signedIn) {
    return <Redirect to={`/login?returnUrl=${encodeURIComponent(href)}`} />;
  }
  if (path === '/login' && signedIn) {
    return <Redirect to={safeReturnUrl(params.get('returnUrl'))} />;
  }
  const Page = PAGES[path];
  return Page ? <Page /> : <Redirect to="/" />;
}

/** A same-app path to go back to after login; anything else means the profile page. */
function safeReturnUrl(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/profile';
}
