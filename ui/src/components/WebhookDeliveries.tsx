import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { listDeliveries, listWebhooks, redeliver } from '../api/webhooks';
import { useAction } from '../hooks/use-action';
import { useApi } from '../hooks/use-api';
import { ActionResult } from './ActionResult';
import { Loaded } from './Loaded';
import { Time } from './Time';

function Deliveries({ webhookId }: { webhookId: string }) {
  const deliveries = useApi(() => listDeliveries(webhookId), [webhookId]);
  const action = useAction();
  return (
    <Loaded state={deliveries} what="deliveries">
      {(data) =>
        data.deliveries.length === 0 ? (
          <p class="muted">No deliveries yet.</p>
        ) : (
          <>
            <div class="table-scroll">
              <table class="deliveries">
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Response</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Next attempt</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.deliveries.map((d) => (
                    <tr key={d.id}>
                      <td>{d.event}</td>
                      <td>{d.status}</td>
                      <td>{d.attempts}</td>
                      <td>
                        {d.response_code ?? (d.last_error ? <span title={d.last_error}>error</span> : '—')}
                      </td>
                      <td>
                        {d.latency_ms === null || d.latency_ms === undefined ? '—' : `${d.latency_ms} ms`}
                      </td>
                      <td>
                        <Time ms={d.next_attempt_at} />
                      </td>
                      <td>
                        {(d.status === 'failed' || d.status === 'dead') && (
                          <button
                            type="button"
                            class="link-button"
                            disabled={action.busy}
                            aria-label={`Redeliver ${d.event} delivery ${d.id}`}
                            onClick={async () => {
                              if (
                                await action.run(() => redeliver(webhookId, d.id), 'Queued for redelivery.')
                              )
                                deliveries.reload();
                            }}
                          >
                            Redeliver
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ActionResult error={action.error} done={action.done} action="redeliver webhooks" />
          </>
        )
      }
    </Loaded>
  );
}

/** Webhook deliveries with their status and a redeliver button; an admin's view, so a 403 just hides it. */
export function WebhookDeliveries() {
  const webhooks = useApi(listWebhooks, []);
  // Deliveries load when their webhook is opened: a registry may have many webhooks.
  const [open, setOpen] = useState<Record<string, boolean>>({});
  if (webhooks.status === 'error' && webhooks.error instanceof ApiError && webhooks.error.forbidden)
    return (
      <section aria-label="Webhook deliveries">
        <h2>Webhook deliveries</h2>
        <p class="muted">Webhook deliveries need an admin token.</p>
      </section>
    );
  return (
    <section aria-label="Webhook deliveries">
      <h2>Webhook deliveries</h2>
      <Loaded state={webhooks} what="webhooks">
        {(data) =>
          (data.webhooks ?? []).length === 0 ? (
            <p class="muted">No webhooks registered.</p>
          ) : (
            <>
              {(data.webhooks ?? []).map((w) => (
                <details
                  key={w.webhook_id}
                  onToggle={(e) =>
                    setOpen({ ...open, [w.webhook_id]: (e.currentTarget as HTMLDetailsElement).open })
                  }
                >
                  <summary>
                    {w.name}{' '}
                    <span class="muted">
                      → {w.url} · {w.status}
                    </span>
                  </summary>
                  {open[w.webhook_id] && <Deliveries webhookId={w.webhook_id} />}
                </details>
              ))}
            </>
          )
        }
      </Loaded>
    </section>
  );
}
