import {
  type AnchorHTMLAttributes,
  type MouseEvent,
  useLayoutEffect,
  useMemo,
  useSyncExternalStore,
} from 'react';

// A router of a few lines: the History API, and one store React subscribes to.
const listeners = new Set<() => void>();

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  return () => listeners.delete(onChange);
}

window.addEventListener('popstate', () => listeners.forEach((notify) => notify()));

export function navigate(to: string, { replace = false } = {}): void {
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  listeners.forEach((notify) => notify());
}

/** The current path and query, re-rendering on every navigation. */
export function useLocation(): { path: string; params: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, () => location.pathname + location.search);
  return useMemo(() => {
    const url = new URL(href, location.origin);
    return { path: url.pathname, params: url.searchParams, href };
  }, [href]);
}

/** An in-app link: a plain click navigates without a page load. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    if (event.button !== 0 || modified) return; // a new tab or window: left to the browser
    event.preventDefault();
    navigate(to);
  };
  return <a {...rest} href={to} onClick={onClick} />;
}

/** Replaces the current entry, during the commit (no timer: a paused page clock allows it). */
export function Redirect({ to }: { to: string }) {
  useLayoutEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
