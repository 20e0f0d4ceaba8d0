import { useState } from 'preact/hooks';
import { useAction } from '../hooks/use-action';
import { ActionResult } from './ActionResult';

export function DescriptionEditor({
  description,
  onSave,
  onChanged,
}: {
  description: string;
  onSave: (text: string) => Promise<unknown>;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(description);
  const action = useAction();
  const save = async (event: Event) => {
    event.preventDefault();
    if (await action.run(() => onSave(text), 'Description saved.')) {
      setEditing(false);
      onChanged();
    }
  };
  return (
    <section class="description" aria-label="Description">
      <h2>Description</h2>
      {editing ? (
        <form onSubmit={save}>
          <label>
            <span class="visually-hidden">Description</span>
            <textarea
              name="description"
              rows={4}
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <button type="submit" disabled={action.busy}>
            Save
          </button>{' '}
          <button type="button" class="link-button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <p class="wrap">{description || <span class="muted">No description.</span>}</p>
          <button
            type="button"
            onClick={() => {
              setText(description);
              setEditing(true);
            }}
          >
            Edit description
          </button>
        </>
      )}
      <ActionResult error={action.error} done={action.done} action="edit the description" />
    </section>
  );
}
