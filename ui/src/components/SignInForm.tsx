import { useState } from 'preact/hooks';
import { writeToken } from '../api/token-store';

/** Asks for an API token once; it is kept for this tab only (sessionStorage). */
export function SignInForm({ reason }: { reason?: string }) {
  const [value, setValue] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    if (value.trim()) writeToken(value.trim());
  };
  return (
    <form class="sign-in" onSubmit={submit} aria-label="Sign in">
      <h2>Sign in</h2>
      <p>{reason ?? 'This server requires a token.'} Paste an API token (read, write or admin scope).</p>
      <label>
        Token
        <input
          type="password"
          name="token"
          autoComplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          autoFocus
        />
      </label>
      <button type="submit">Sign in</button>
      <p class="muted">
        Create one with <code>npm run token -- create --scope read</code> or on the Tokens page.
      </p>
    </form>
  );
}
