import { describeError } from './ErrorMessage';

/** The outcome of an edit or a promotion, announced to screen readers; errors are never swallowed. */
export function ActionResult({ error, done, action }: { error?: unknown; done?: string; action: string }) {
  if (error !== undefined) {
    const { title, detail } = describeError(error, action);
    return (
      <div class="error" role="alert">
        <strong>{title}</strong>
        <p>{detail}</p>
      </div>
    );
  }
  if (done)
    return (
      <p class="done" role="status">
        {done}
      </p>
    );
  return null;
}
