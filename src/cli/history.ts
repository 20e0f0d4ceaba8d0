import type { components } from '../generated/openapi';
import type { SemregClient } from './client';

/** `semreg history <model>`: every event, oldest first (all pages), or the state at one instant (--at). */

/** The wire shape of one event, as semreg's OpenAPI document (the single source of truth) describes it. */
type EventJson = components['schemas']['LifecycleEvent'];

function describe(event: EventJson): string {
  const version = event.version ? `v${event.version}${event.semver ? ` (${event.semver})` : ''}` : '';
  let detail = '';
  if (event.type === 'stage.transitioned') detail = `${event.before?.stage ?? '?'} → ${event.stage}`;
  else if (event.type.startsWith('alias.'))
    detail = `@${event.alias}${event.before?.version ? ` (was v${event.before.version})` : ''}`;
  else if (event.type.startsWith('tag.')) detail = String((event.after ?? event.before)?.key ?? '');
  else if (event.type.startsWith('package.')) detail = String(event.after?.path ?? event.before?.path ?? '');
  const who = [event.actor ? `token ${event.actor}` : '', event.ci_job_id ? `ci ${event.ci_job_id}` : '']
    .filter(Boolean)
    .join(', ');
  return [new Date(event.time).toISOString(), event.type.padEnd(18), version, detail, who ? `[${who}]` : '']
    .filter(Boolean)
    .join('  ');
}

export async function printHistory(
  client: SemregClient,
  model: string,
  options: { since?: string; until?: string; type?: string; at?: string; json?: boolean },
  out: (line: string) => void,
): Promise<void> {
  if (options.at) {
    const state = await client.json<{
      time: number;
      stages: Record<string, string | null>;
      aliases: Record<string, string>;
    }>('GET', `/api/models/${encodeURIComponent(model)}/at`, { query: { time: options.at } });
    if (options.json) return out(JSON.stringify(state));
    out(`${model} at ${new Date(state.time).toISOString()}`);
    for (const [stage, version] of Object.entries(state.stages)) out(`  stage ${stage}: ${version ?? '-'}`);
    for (const [alias, version] of Object.entries(state.aliases)) out(`  alias @${alias}: ${version}`);
    return;
  }
  let pageToken: string | undefined;
  do {
    const page = await client.json<{ events: EventJson[]; next_page_token?: string }>('GET', '/api/events', {
      query: {
        model,
        since: options.since,
        until: options.until,
        type: options.type,
        max_results: 1000,
        page_token: pageToken,
      },
    });
    for (const event of page.events) out(options.json ? JSON.stringify(event) : describe(event));
    pageToken = page.next_page_token;
  } while (pageToken);
}
