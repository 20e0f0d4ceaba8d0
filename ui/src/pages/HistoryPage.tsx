import { useEffect, useState } from 'preact/hooks';
import { getPolicies, listEvents } from '../api/lifecycle';
import { getRegisteredModel } from '../api/registry';
import type { LifecycleEvent } from '../api/types';
import { EventTimeline } from '../components/EventTimeline';
import { Loaded } from '../components/Loaded';
import { PromotePanel } from '../components/PromotePanel';
import { StateAt } from '../components/StateAt';
import { WebhookDeliveries } from '../components/WebhookDeliveries';
import { useApi } from '../hooks/use-api';
import { parseLocalDateTime, toLocalDateTime } from '../lib/format';
import { href } from '../lib/routes';
import { Link, setSearchParams, type LocationState } from '../router';

const MAX_EVENTS = 2000;

/** The newest events first, as the timeline reads; past MAX_EVENTS the oldest are left out. */
async function loadHistory(name: string) {
  const events: LifecycleEvent[] = [];
  let pageToken: string | undefined;
  do {
    const page = await listEvents({ model: name, order: 'desc', max_results: 500, page_token: pageToken });
    events.push(...page.events);
    pageToken = page.next_page_token || undefined;
  } while (pageToken && events.length < MAX_EVENTS);
  const [model, policies] = await Promise.all([getRegisteredModel(name), getPolicies()]);
  return {
    events,
    truncated: pageToken !== undefined,
    model: model.registered_model,
    policy: policies.models?.[name] ?? policies.default,
  };
}

export function HistoryPage({ name, location }: { name: string; location: LocationState }) {
  const state = useApi(() => loadHistory(name), [name]);
  const at = Number(location.search.get('at')) || undefined;
  const [picked, setPicked] = useState(at ? toLocalDateTime(at) : '');
  useEffect(() => setPicked(at ? toLocalDateTime(at) : ''), [at]);
  // The chosen moment lives in the URL (`?at=<epoch ms>`), so "what was in production then" can be shared.
  const show = (time: number | undefined) => setSearchParams({ at: time ? String(time) : undefined });
  const submit = (event: Event) => {
    event.preventDefault();
    show(parseLocalDateTime(picked));
  };
  return (
    <main>
      <p class="muted">
        <Link href={href.models()}>Models</Link> / <Link href={href.model(name)}>{name}</Link> /
      </p>
      <h1>History of {name}</h1>
      <Loaded state={state} what={`the history of ${name}`}>
        {({ events, truncated, model, policy }) => (
          <>
            <section aria-label="Time travel">
              <h2>What held each stage and alias at a moment</h2>
              <form class="inline-form" onSubmit={submit}>
                <label>
                  Moment (your time zone)
                  <input
                    type="datetime-local"
                    name="at"
                    step={1}
                    value={picked}
                    onInput={(e) => setPicked((e.target as HTMLInputElement).value)}
                  />
                </label>
                <button type="submit" disabled={!parseLocalDateTime(picked)}>
                  Show
                </button>
              </form>
              {at && <StateAt name={name} time={at} />}
            </section>
            <PromotePanel model={model} policy={policy} onDone={state.reload} />
            <section aria-label="Events">
              <h2>Events</h2>
              {truncated && <p class="muted">Only the latest {events.length} events are shown.</p>}
              <EventTimeline name={name} events={events} onPick={show} />
            </section>
            <WebhookDeliveries />
          </>
        )}
      </Loaded>
    </main>
  );
}
