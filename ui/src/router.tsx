import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** History-API navigation: pushState plus an event, so back/forward and links share one code path. */
const CHANGE = 'semreg:navigate';

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new Event(CHANGE));
  if (!options.replace) scrollTo(0, 0);
}

export interface LocationState {
  pathname: string;
  search: URLSearchParams;
}

function current(): LocationState {
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

export function useLocation(): LocationState {
  const [state, setState] = useState(current);
  useEffect(() => {
    const update = () => setState(current());
    addEventListener('popstate', update);
    addEventListener(CHANGE, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(CHANGE, update);
    };
  }, []);
  return state;
}

/** Replaces the query string of the current page (filters, sort, page), keeping the path. */
export function setSearchParams(values: Record<string, string | undefined>, replace = false): void {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  const query = params.toString();
  navigate(`${location.pathname}${query ? `?${query}` : ''}`, { replace });
}

type AnchorProps = AnchorHTMLAttributes & { href: string; children?: ComponentChildren };

/** An ordinary link (middle-click, copy address and open-in-new-tab still work) that navigates in place. */
export function Link({ href, children, ...rest }: AnchorProps) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}
