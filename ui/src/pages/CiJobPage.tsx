import { getCiJob } from '../api/packages';
import { Loaded } from '../components/Loaded';
import { useApi } from '../hooks/use-api';
import { href } from '../lib/routes';
import { safeHttpUrl } from '../lib/links';
import { Link } from '../router';

/** What one CI job produced (semreg-api.md "CI jobs"): versions, package files and runs, each linked. */
export function CiJobPage({ jobId }: { jobId: string }) {
  const state = useApi(() => getCiJob(jobId), [jobId]);
  return (
    <main>
      <h1>CI job {jobId}</h1>
      <Loaded state={state} what={`CI job ${jobId}`}>
        {(job) => {
          const jobUrl = safeHttpUrl(job.job_url);
          return (
            <>
              <dl class="facts">
                <dt>Job</dt>
                <dd>
                  {jobUrl ? (
                    <a href={jobUrl} rel="noreferrer noopener" target="_blank">
                      {jobUrl}
                    </a>
                  ) : (
                    job.job_id
                  )}
                </dd>
                <dt>Pipeline</dt>
                <dd>{job.pipeline_id ?? '—'}</dd>
                <dt>Commit</dt>
                <dd>{job.commit_sha ? <code>{job.commit_sha}</code> : '—'}</dd>
              </dl>
              <h2>Model versions</h2>
              {job.model_versions.length === 0 ? (
                <p class="muted">None.</p>
              ) : (
                <ul>
                  {job.model_versions.map((v) => (
                    <li key={`${v.name}/${v.version}`}>
                      <Link href={href.version(v.name, v.version)}>
                        {v.name} v{v.version} ({v.semver})
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
              <h2>Package files</h2>
              {job.files.length === 0 ? (
                <p class="muted">None.</p>
              ) : (
                <div class="table-scroll">
                  <table class="files">
                    <thead>
                      <tr>
                        <th scope="col">Model</th>
                        <th scope="col">Semver</th>
                        <th scope="col">Path</th>
                        <th scope="col">SHA-256</th>
                      </tr>
                    </thead>
                    <tbody>
                      {job.files.map((f) => {
                        const version = job.model_versions.find(
                          (v) => v.name === f.model && v.semver === f.semver,
                        );
                        return (
                          <tr key={`${f.model}/${f.semver}/${f.path}`}>
                            <td>
                              <Link href={href.model(f.model)}>{f.model}</Link>
                            </td>
                            <td>
                              {version ? (
                                <Link href={href.version(f.model, version.version)}>{f.semver}</Link>
                              ) : (
                                f.semver
                              )}
                            </td>
                            <td>
                              <code>{f.path}</code>
                            </td>
                            <td>
                              <code title={f.sha256}>{f.sha256.slice(0, 12)}</code>
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
              <h2>Runs</h2>
              {job.runs.length === 0 ? (
                <p class="muted">None.</p>
              ) : (
                <ul>
                  {job.runs.map((r) => (
                    <li key={r.run_id}>
                      <Link href={href.run(r.run_id)}>{r.run_id}</Link> in{' '}
                      <Link href={href.experiment(r.experiment_id)}>experiment {r.experiment_id}</Link>
                    </li>
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </Loaded>
    </main>
  );
}
