import { ApiError } from '../api/client';
import { SignInForm } from './SignInForm';

/**
 * What went wrong, in words a person can act on: 401 asks for a token, 403 names what this token cannot do,
 * a policy refusal or a compare-and-swap conflict says so; the server's own message always follows.
 */
export function describeError(error: unknown, action: string): { title: string; detail: string } {
  if (!(error instanceof ApiError)) return { title: `Could not ${action}`, detail: String(error) };
  if (error.status === 401) return { title: 'Sign in', detail: error.message };
  if (error.status === 403) return { title: `This token can't ${action}`, detail: error.message };
  if (error.status === 409)
    return {
      title: 'Conflict: it changed since this page loaded',
      detail: `${error.message} Reload to see the current state, then try again.`,
    };
  if (error.errorCode === 'INVALID_STATE')
    return { title: 'Refused by the stage policy', detail: error.message };
  if (error.status === 404) return { title: 'Not found', detail: error.message };
  if (error.status === 0) return { title: 'The server could not be reached', detail: error.message };
  return { title: `Could not ${action}`, detail: `${error.errorCode}: ${error.message}` };
}

export function ErrorMessage({
  error,
  action,
  onRetry,
}: {
  error: unknown;
  action: string;
  onRetry?: () => void;
}) {
  if (error instanceof ApiError && error.needsSignIn) return <SignInForm reason={error.message} />;
  const { title, detail } = describeError(error, action);
  return (
    <div class="error" role="alert">
      <strong>{title}</strong>
      <p>{detail}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
