import { useState } from 'preact/hooks';
import { promote, rollback } from '../api/lifecycle';
import type { RegisteredModel, StagePolicy } from '../api/types';
import { useAction } from '../hooks/use-action';
import { ActionResult } from './ActionResult';

/** Who holds a stage or alias now, as the page last saw it: the compare-and-set guard of the request. */
export function currentHolder(model: RegisteredModel, target: { stage?: string; alias?: string }): string {
  if (target.stage)
    return (
      model.latest_versions?.find((v) => v.current_stage.toLowerCase() === target.stage!.toLowerCase())
        ?.version ?? ''
    );
  return model.aliases?.find((a) => a.alias === target.alias)?.version ?? '';
}

/**
 * Promote a version into a stage or alias, or roll one back, through the compare-and-set endpoints
 * (semreg-api.md "Promotion"). The request carries the holder this page showed, so a move made meanwhile by
 * someone else is a 409 shown as a conflict instead of being silently overwritten; a policy refusal
 * (400 INVALID_STATE) is shown with the rule the server names.
 */
export function PromotePanel({
  model,
  policy,
  version,
  onDone,
}: {
  model: RegisteredModel;
  policy: StagePolicy;
  /** Fixed on a version page; chosen by the user on the history page. */
  version?: string;
  onDone: () => void;
}) {
  const stages = policy.stages.map((s) => s.name).filter((s) => s !== 'None');
  const [kind, setKind] = useState<'stage' | 'alias'>('stage');
  const [stage, setStage] = useState(stages.includes('Production') ? 'Production' : (stages[0] ?? ''));
  const [alias, setAlias] = useState('');
  const [chosen, setChosen] = useState(version ?? '');
  const action = useAction();
  const target = kind === 'stage' ? { stage } : { alias: alias.trim() };
  const holder = currentHolder(model, target);
  const label = kind === 'stage' ? stage : `@${alias.trim()}`;
  const ready = (kind === 'stage' ? stage !== '' : alias.trim() !== '') && (version ?? chosen.trim()) !== '';

  const submitPromote = async (event: Event) => {
    event.preventDefault();
    const v = version ?? chosen.trim();
    const ok = await action.run(
      () => promote(model.name, { ...target, version: v, expected_current_version: holder }),
      `Version ${v} now holds ${label}.`,
    );
    if (ok) onDone();
  };
  const submitRollback = async () => {
    const ok = await action.run(
      () => rollback(model.name, target),
      `${label} rolled back to its previous holder.`,
    );
    if (ok) onDone();
  };

  return (
    <section class="promote" aria-label="Promote or roll back">
      <h2>Promote or roll back</h2>
      <form class="inline-form" onSubmit={submitPromote}>
        <label>
          Target
          <select
            name="target-kind"
            value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'stage' | 'alias')}
          >
            <option value="stage">Stage</option>
            <option value="alias">Alias</option>
          </select>
        </label>
        {kind === 'stage' ? (
          <label>
            Stage
            <select
              name="stage"
              value={stage}
              onChange={(e) => setStage((e.target as HTMLSelectElement).value)}
            >
              {stages.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Alias
            <input
              name="alias"
              value={alias}
              onInput={(e) => setAlias((e.target as HTMLInputElement).value)}
            />
          </label>
        )}
        {version === undefined && (
          <label>
            Version
            <input
              name="version"
              inputMode="numeric"
              value={chosen}
              onInput={(e) => setChosen((e.target as HTMLInputElement).value)}
            />
          </label>
        )}
        <button type="submit" disabled={action.busy || !ready}>
          Promote{version ? ` v${version}` : ''}
        </button>
        <button
          type="button"
          disabled={action.busy || (kind === 'alias' && !alias.trim())}
          onClick={submitRollback}
        >
          Roll back {label}
        </button>
      </form>
      <p class="muted">
        {label} is held by {holder ? `version ${holder}` : 'no version'} as this page last saw it.
      </p>
      <ActionResult error={action.error} done={action.done} action={`change ${label}`} />
    </section>
  );
}
