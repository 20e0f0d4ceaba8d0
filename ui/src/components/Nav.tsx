import { useEffect, useState } from 'preact/hooks';
import { onTokenChange, readToken, writeToken } from '../api/token-store';
import { href } from '../lib/routes';
import { Link } from '../router';

export function Nav({ pathname }: { pathname: string }) {
  const [signedIn, setSignedIn] = useState(() => readToken() !== undefined);
  useEffect(() => onTokenChange(() => setSignedIn(readToken() !== undefined)), []);
  const current = (prefix: string) => (pathname.startsWith(prefix) ? 'page' : undefined);
  return (
    <header class="top">
      <nav aria-label="Main">
        <Link href="/" class="brand">
          semreg
        </Link>
        <Link href={href.models()} aria-current={pathname === '/' ? 'page' : current('/ui/models')}>
          Models
        </Link>
        <Link href={href.experiments()} aria-current={current('/ui/experiments') ?? current('/ui/runs')}>
          Experiments
        </Link>
        <Link href={href.tokens()} aria-current={current('/ui/tokens')}>
          Tokens
        </Link>
      </nav>
      {signedIn && (
        <button type="button" class="link-button" onClick={() => writeToken(undefined)}>
          Sign out
        </button>
      )}
    </header>
  );
}
