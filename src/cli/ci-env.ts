/**
 * The CI job a command runs in, read from the variables GitHub Actions and GitLab CI set for every job,
 * sent as the X-CI-* headers semreg records with versions, package files and events.
 * GitHub: https://docs.github.com/actions/reference/variables-reference; GitLab: predefined CI/CD variables.
 */
type Env = Record<string, string | undefined>;

export function ciHeaders(env: Env): Record<string, string> {
  const headers: Record<string, string | undefined> = {};
  if (env.GITLAB_CI === 'true') {
    headers['X-CI-Job-Id'] = env.CI_JOB_ID;
    headers['X-CI-Job-Url'] = env.CI_JOB_URL;
    headers['X-CI-Pipeline-Id'] = env.CI_PIPELINE_ID;
    headers['X-CI-Commit-Sha'] = env.CI_COMMIT_SHA;
  } else if (env.GITHUB_ACTIONS === 'true') {
    // A workflow run has several jobs; GITHUB_JOB is the job's key in the workflow file.
    const runId = env.GITHUB_RUN_ID;
    headers['X-CI-Job-Id'] = runId && env.GITHUB_JOB ? `${runId}-${env.GITHUB_JOB}` : runId;
    headers['X-CI-Job-Url'] =
      env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && runId
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${runId}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}`
        : undefined;
    headers['X-CI-Pipeline-Id'] = runId;
    headers['X-CI-Commit-Sha'] = env.GITHUB_SHA;
  }
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}
