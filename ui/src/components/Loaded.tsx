import type { ComponentChildren } from 'preact';
import type { Loaded as LoadedState } from '../hooks/use-api';
import { ErrorMessage } from './ErrorMessage';
import { Loading } from './Loading';

/** The three states every page has: loading, error (with retry or sign-in), and the data. */
export function Loaded<T>({
  state,
  what,
  children,
}: {
  state: LoadedState<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (state.status === 'loading') return <Loading what={what} />;
  if (state.status === 'error')
    return <ErrorMessage error={state.error} action={`read ${what}`} onRetry={state.reload} />;
  return <>{children(state.data)}</>;
}
