import { useState } from 'preact/hooks';
import { createToken, listTokens, revokeToken } from '../api/tokens';
import type { CreatedToken } from '../api/types';
import { ActionResult } from '../components/ActionResult';
import { CopyField } from '../components/CopyField';
import { Loaded } from '../components/Loaded';
import { Time } from '../components/Time';
import { useAction } from '../hooks/use-action';
import { useApi } from '../hooks/use-api';
import { parseLocalDateTime } from '../lib/format';

type Scope = 'read' | 'write' | 'admin';

/** API tokens (admin scope): list, create (the secret is shown once), revoke. */
export function TokensPage() {
  const tokens = useApi(listTokens, []);
  const [scope, setScope] = useState<Scope>('read');
  const [models, setModels] = useState('');
  const [expires, setExpires] = useState('');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<CreatedToken | undefined>(undefined);
  const create = useAction();
  const revoke = useAction();

  const submit = async (event: Event) => {
    event.preventDefault();
    const patterns = models
      .split(/[\s,]+/)
      .map((m) => m.trim())
      .filter(Boolean);
    let answer: CreatedToken | undefined;
    const ok = await create.run(async () => {
      answer = await createToken({
        scope,
        models: patterns.length ? patterns : undefined,
        expires_at: parseLocalDateTime(expires),
        description: description.trim() || undefined,
      });
    }, 'Token created.');
    if (ok) {
      setCreated(answer);
      setDescription('');
      tokens.reload();
    }
  };
  const revokeOne = async (id: string) => {
    if (!confirm(`Revoke token ${id}? Clients using it are refused from now on.`)) return;
    if (await revoke.run(() => revokeToken(id), `Token ${id} revoked.`)) tokens.reload();
  };

  return (
    <main>
      <h1>Tokens</h1>
      <section aria-label="Create a token">
        <h2>Create a token</h2>
        <form class="inline-form" onSubmit={submit}>
          <label>
            Scope
            <select
              name="scope"
              value={scope}
              onChange={(e) => setScope((e.target as HTMLSelectElement).value as Scope)}
            >
              <option value="read">read</option>
              <option value="write">write</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label>
            Models (patterns, optional)
            <input
              name="models"
              placeholder="churn-*"
              value={models}
              onInput={(e) => setModels((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            Expires (optional)
            <input
              type="datetime-local"
              name="expires"
              value={expires}
              onInput={(e) => setExpires((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            Description
            <input
              name="description"
              value={description}
              onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" disabled={create.busy}>
            Create token
          </button>
        </form>
        <ActionResult error={create.error} action="create tokens" />
        {created && (
          <div class="secret" role="status">
            <strong>Copy the secret now: it is shown only once.</strong>
            <CopyField label={`Token ${created.id} (${created.scope})`} value={created.token} />
          </div>
        )}
      </section>
      <section aria-label="Tokens">
        <h2>Existing tokens</h2>
        <ActionResult error={revoke.error} done={revoke.done} action="revoke tokens" />
        <Loaded state={tokens} what="tokens">
          {(data) =>
            data.tokens.length === 0 ? (
              <p class="empty">No tokens yet.</p>
            ) : (
              <div class="table-scroll">
                <table class="tokens">
                  <thead>
                    <tr>
                      <th scope="col">ID</th>
                      <th scope="col">Scope</th>
                      <th scope="col">Models</th>
                      <th scope="col">Description</th>
                      <th scope="col">Created</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Expires</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.tokens.map((token) => (
                      <tr key={token.id}>
                        <th scope="row">
                          <code>{token.id}</code>
                        </th>
                        <td>{token.scope}</td>
                        <td>{token.models.length ? token.models.join(', ') : 'all'}</td>
                        <td>{token.description ?? ''}</td>
                        <td>
                          <Time ms={token.created_at} />
                        </td>
                        <td>
                          <Time ms={token.last_used_at} />
                        </td>
                        <td>{token.expires_at ? <Time ms={token.expires_at} /> : 'never'}</td>
                        <td>
                          <button
                            type="button"
                            class="link-button"
                            disabled={revoke.busy}
                            aria-label={`Revoke token ${token.id}`}
                            onClick={() => revokeOne(token.id)}
                          >
                            Revoke
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </section>
    </main>
  );
}
