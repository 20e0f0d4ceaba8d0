import { useState } from 'preact/hooks';
import { getMetricHistory, getRun } from '../api/tracking';
import type { KeyValue } from '../api/types';
import { ArtifactBrowser } from '../components/ArtifactBrowser';
import { Loaded } from '../components/Loaded';
import { MetricChart } from '../components/MetricChart';
import { Time } from '../components/Time';
import { useApi } from '../hooks/use-api';
import type { Axis, MetricPoint } from '../lib/metric-series';
import { href } from '../lib/routes';
import { Link } from '../router';

async function loadRun(runId: string) {
  const { run } = await getRun(runId);
  const keys = [...new Set((run.data.metrics ?? []).map((m) => m.key))].sort();
  const histories: Record<string, MetricPoint[]> = Object.fromEntries(
    await Promise.all(
      keys.map(async (key) => [key, (await getMetricHistory(runId, key)).metrics ?? []] as const),
    ),
  );
  return { run, histories };
}

function KeyValueTable({ label, items }: { label: string; items: KeyValue[] }) {
  return (
    <section aria-label={label}>
      <h2>{label}</h2>
      {items.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table>
          <tbody>
            {items.map((item) => (
              <tr key={item.key}>
                <th scope="row">
                  <code>{item.key}</code>
                </th>
                <td class="wrap">{item.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const state = useApi(() => loadRun(runId), [runId]);
  const [axis, setAxis] = useState<Axis>('step');
  const [chosen, setChosen] = useState<string[] | undefined>(undefined);
  return (
    <main>
      <Loaded state={state} what={`run ${runId}`}>
        {({ run, histories }) => {
          const keys = Object.keys(histories).sort();
          const shown = (chosen ?? keys).filter((key) => histories[key]);
          const visible = Object.fromEntries(shown.map((key) => [key, histories[key]]));
          // MLflow's own tags (mlflow.*) are bookkeeping; they stay listed, after the user's.
          const tags = [...(run.data.tags ?? [])].sort((a, b) =>
            a.key.startsWith('mlflow.') === b.key.startsWith('mlflow.')
              ? a.key.localeCompare(b.key)
              : a.key.startsWith('mlflow.')
                ? 1
                : -1,
          );
          return (
            <>
              <p class="muted">
                <Link href={href.experiments()}>Experiments</Link> /{' '}
                <Link href={href.experiment(run.info.experiment_id)}>
                  experiment {run.info.experiment_id}
                </Link>{' '}
                /
              </p>
              <h1>{run.info.run_name || run.info.run_id}</h1>
              <dl class="facts">
                <dt>Run ID</dt>
                <dd>
                  <code>{run.info.run_id}</code>
                </dd>
                <dt>Status</dt>
                <dd>{run.info.status}</dd>
                <dt>Started</dt>
                <dd>
                  <Time ms={Number(run.info.start_time)} />
                </dd>
                <dt>Ended</dt>
                <dd>
                  <Time ms={run.info.end_time === undefined ? undefined : Number(run.info.end_time)} />
                </dd>
                <dt>Artifact root</dt>
                <dd>
                  <code>{run.info.artifact_uri}</code>
                </dd>
              </dl>
              <section aria-label="Metrics">
                <h2>Metrics</h2>
                {keys.length === 0 ? (
                  <p class="muted">No metrics logged.</p>
                ) : (
                  <>
                    <div class="toolbar">
                      <label>
                        X axis
                        <select
                          name="axis"
                          value={axis}
                          onChange={(e) => setAxis((e.target as HTMLSelectElement).value as Axis)}
                        >
                          <option value="step">Step</option>
                          <option value="time">Time</option>
                        </select>
                      </label>
                      <fieldset class="metric-picker">
                        <legend>Metrics on the chart</legend>
                        {keys.map((key) => (
                          <label key={key} class="check">
                            <input
                              type="checkbox"
                              checked={shown.includes(key)}
                              onChange={(e) => {
                                const on = (e.target as HTMLInputElement).checked;
                                setChosen(on ? [...shown, key] : shown.filter((k) => k !== key));
                              }}
                            />{' '}
                            {key}
                          </label>
                        ))}
                      </fieldset>
                    </div>
                    {shown.length > 0 && <MetricChart histories={visible} axis={axis} />}
                    <details>
                      <summary>Data points</summary>
                      <table class="metric-points">
                        <thead>
                          <tr>
                            <th scope="col">Metric</th>
                            <th scope="col">Step</th>
                            <th scope="col">Value</th>
                          </tr>
                        </thead>
                        <tbody>
                          {shown.flatMap((key) =>
                            histories[key].map((point, i) => (
                              <tr key={`${key}-${i}`}>
                                <td>{key}</td>
                                <td>{String(point.step)}</td>
                                <td>{String(point.value)}</td>
                              </tr>
                            )),
                          )}
                        </tbody>
                      </table>
                    </details>
                  </>
                )}
              </section>
              <div class="columns">
                <KeyValueTable label="Parameters" items={run.data.params ?? []} />
                <KeyValueTable label="Tags" items={tags} />
              </div>
              <ArtifactBrowser runId={run.info.run_id} />
            </>
          );
        }}
      </Loaded>
    </main>
  );
}
