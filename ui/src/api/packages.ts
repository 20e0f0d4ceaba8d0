import { request, segment, type OkBody } from './client';

export function getPackageVersion(model: string, semver: string) {
  return request<OkBody<'listPackageFiles'>>('GET', `/api/packages/${segment(model)}/${segment(semver)}`);
}

export function getCiJob(jobId: string) {
  return request<OkBody<'getCiJob'>>('GET', `/api/ci/jobs/${segment(jobId)}`);
}
