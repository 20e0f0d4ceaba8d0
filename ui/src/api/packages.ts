import { api, ok } from './client';

export function getPackageVersion(model: string, semver: string) {
  return ok(api.GET('/api/packages/{model}/{selector}', { params: { path: { model, selector: semver } } }));
}

export function getCiJob(jobId: string) {
  return ok(api.GET('/api/ci/jobs/{job_id}', { params: { path: { job_id: jobId } } }));
}
