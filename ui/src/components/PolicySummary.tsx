import { getPolicies } from '../api/lifecycle';
import { useApi } from '../hooks/use-api';

/** The stage policy that governs this model (its own, or the registry default), in one short list. */
export function PolicySummary({ name }: { name: string }) {
  const policies = useApi(getPolicies, []);
  if (policies.status !== 'ok') return null;
  const own = policies.data.models?.[name];
  const policy = own ?? policies.data.default;
  return (
    <section aria-label="Stage policy">
      <h2>Stage policy {own ? '' : <span class="muted">(registry default)</span>}</h2>
      <ul>
        {policy.stages.map((stage) => (
          <li key={stage.name}>
            <strong>{stage.name}</strong>
            {stage.capacity ? ` · holds at most ${stage.capacity}` : ''}
            {stage.archive_previous ? ' · archives the previous holder' : ''}
            {stage.required_tags && Object.keys(stage.required_tags).length > 0
              ? ` · requires ${Object.entries(stage.required_tags)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ')}`
              : ''}
          </li>
        ))}
      </ul>
      <p class="muted">
        {policy.transitions.length === 0
          ? 'Every move between stages is allowed.'
          : `Allowed moves: ${policy.transitions.map((t) => `${t.from} → ${t.to}`).join(', ')}.`}
      </p>
    </section>
  );
}
