import { href } from '../lib/routes';
import { Link } from '../router';

/** "Production → v3, @champion → v2": which version holds each stage and alias, each a link to it. */
export function HolderList({ model, holders }: { model: string; holders: Array<[string, string]> }) {
  if (holders.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="holders">
      {holders.map(([label, version]) => (
        <li key={label}>
          <span class="badge">{label}</span> <Link href={href.version(model, version)}>v{version}</Link>
        </li>
      ))}
    </ul>
  );
}

/** Stage holders from `latest_versions` (None is no stage) and aliases, as label → version pairs. */
export function holdersOf(model: {
  latest_versions?: Array<{ current_stage: string; version: string }>;
  aliases?: Array<{ alias: string; version: string }>;
}): Array<[string, string]> {
  const stages = (model.latest_versions ?? [])
    .filter((v) => v.current_stage && v.current_stage !== 'None')
    .map((v): [string, string] => [v.current_stage, v.version]);
  const aliases = (model.aliases ?? []).map((a): [string, string] => [`@${a.alias}`, a.version]);
  return [...stages, ...aliases];
}
