import { modelStateAt } from '../api/lifecycle';
import { useApi } from '../hooks/use-api';
import { formatTime } from '../lib/format';
import { href } from '../lib/routes';
import { Link } from '../router';
import { Loaded } from './Loaded';

/** "What held each stage and alias at T", from `/api/models/<m>/at`. */
export function StateAt({ name, time }: { name: string; time: number }) {
  const state = useApi(() => modelStateAt(name, time), [name, time]);
  return (
    <Loaded state={state} what={`the state at ${formatTime(time)}`}>
      {(data) => {
        const rows: Array<[string, string | null]> = [
          ...Object.entries(data.stages),
          ...Object.entries(data.aliases).map(([alias, v]): [string, string] => [`@${alias}`, v]),
        ];
        return (
          <table class="state-at" aria-label={`Holders at ${formatTime(data.time)}`}>
            <caption>At {formatTime(data.time)}</caption>
            <thead>
              <tr>
                <th scope="col">Stage or alias</th>
                <th scope="col">Held by</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={2} class="muted">
                    Nothing held anything then.
                  </td>
                </tr>
              )}
              {rows.map(([label, version]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td>
                    {version ? (
                      <Link href={href.version(name, version)}>v{version}</Link>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </Loaded>
  );
}
