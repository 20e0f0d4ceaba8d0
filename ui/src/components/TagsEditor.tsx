import { useState } from 'preact/hooks';
import type { KeyValue } from '../api/types';
import { useAction } from '../hooks/use-action';
import { ActionResult } from './ActionResult';

/**
 * Tags as a table with set/delete. Controls are always shown: the UI cannot know a token's scope in
 * advance, so a read token's attempt is answered by the server (403) and shown as "this token can't …".
 * Tags listed in `locked` (the immutable `semver`, the `ci.*` record) are shown but not editable.
 */
export function TagsEditor({
  tags,
  onSet,
  onDelete,
  onChanged,
  locked = () => false,
}: {
  tags: KeyValue[];
  onSet: (tag: KeyValue) => Promise<unknown>;
  onDelete: (key: string) => Promise<unknown>;
  onChanged: () => void;
  locked?: (key: string) => boolean;
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const action = useAction();
  const add = async (event: Event) => {
    event.preventDefault();
    if (!key.trim()) return;
    if (await action.run(() => onSet({ key: key.trim(), value }), `Tag ${key.trim()} saved.`)) {
      setKey('');
      setValue('');
      onChanged();
    }
  };
  const remove = async (tagKey: string) => {
    if (await action.run(() => onDelete(tagKey), `Tag ${tagKey} deleted.`)) onChanged();
  };
  return (
    <section class="tags" aria-label="Tags">
      <h2>Tags</h2>
      {tags.length === 0 ? (
        <p class="muted">No tags.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tags.map((tag) => (
              <tr key={tag.key}>
                <td>
                  <code>{tag.key}</code>
                </td>
                <td class="wrap">{tag.value}</td>
                <td>
                  {!locked(tag.key) && (
                    <button
                      type="button"
                      class="link-button"
                      disabled={action.busy}
                      onClick={() => remove(tag.key)}
                      aria-label={`Delete tag ${tag.key}`}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" onSubmit={add} aria-label="Set a tag">
        <label>
          Key{' '}
          <input name="tag-key" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Value{' '}
          <input
            name="tag-value"
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={action.busy || !key.trim()}>
          Set tag
        </button>
      </form>
      <ActionResult error={action.error} done={action.done} action="edit tags" />
    </section>
  );
}
