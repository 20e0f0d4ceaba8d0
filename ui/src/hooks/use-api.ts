import { useEffect, useState } from 'preact/hooks';
import { onTokenChange } from '../api/token-store';

export type Loaded<T> =
  | { status: 'loading'; reload: () => void }
  | { status: 'error'; error: unknown; reload: () => void }
  | { status: 'ok'; data: T; reload: () => void };

type State<T> =
  | { status: 'loading'; key?: string }
  | { status: 'error'; error: unknown; key: string }
  | { status: 'ok'; data: T; key: string };

/**
 * Loads data for a page and reloads it when its inputs change, when the user signs in or out, or on
 * `reload()` (after an edit). A reload keeps the old data on screen until the new answer arrives (no
 * flicker after saving a tag); an answer for other inputs is never shown, not even for the one render
 * before the effect runs, so a page never shows another model's data under its heading. A late answer
 * for inputs that have changed since is dropped.
 */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [generation, setGeneration] = useState(0);
  const [state, setState] = useState<State<T>>({ status: 'loading' });
  useEffect(() => onTokenChange(() => setGeneration((n) => n + 1)), []);
  const key = JSON.stringify(deps);
  useEffect(() => {
    let live = true;
    setState((previous) =>
      previous.key === key && previous.status === 'ok' ? previous : { status: 'loading', key },
    );
    load().then(
      (data) => live && setState({ status: 'ok', data, key }),
      (error: unknown) => live && setState({ status: 'error', error, key }),
    );
    return () => {
      live = false;
    };
  }, [key, generation]);
  const reload = () => setGeneration((n) => n + 1);
  if (state.key !== key) return { status: 'loading', reload };
  if (state.status === 'ok') return { status: 'ok', data: state.data, reload };
  if (state.status === 'error') return { status: 'error', error: state.error, reload };
  return { status: 'loading', reload };
}
