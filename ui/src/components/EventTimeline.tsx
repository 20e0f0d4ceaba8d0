import type { LifecycleEvent } from '../api/types';
import { describeEvent } from '../lib/events';
import { formatTime } from '../lib/format';
import { href } from '../lib/routes';
import { Link } from '../router';

/** Newest first; each event offers "state then", which moves the time picker to that moment. */
export function EventTimeline({
  name,
  events,
  onPick,
}: {
  name: string;
  events: LifecycleEvent[];
  onPick: (time: number) => void;
}) {
  if (events.length === 0) return <p class="empty">No events recorded for this model yet.</p>;
  return (
    <ol class="timeline" aria-label="Events, newest first">
      {events.map((event) => (
        <li key={event.id}>
          <time dateTime={new Date(event.time).toISOString()}>{formatTime(event.time)}</time>
          <span>
            {event.version ? (
              <Link href={href.version(name, event.version)}>{describeEvent(event)}</Link>
            ) : (
              describeEvent(event)
            )}
          </span>
          <span class="muted">{event.actor ? `by ${event.actor}` : ''}</span>
          {event.ci_job_id && (
            <span>
              CI job <Link href={href.ciJob(event.ci_job_id)}>{event.ci_job_id}</Link>
            </span>
          )}
          <button type="button" class="link-button" onClick={() => onPick(event.time)}>
            state then
          </button>
        </li>
      ))}
    </ol>
  );
}
