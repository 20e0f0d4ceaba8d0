import type { components } from '../../../src/generated/openapi';

type Schemas = components['schemas'];
export type RegisteredModel = Schemas['RegisteredModel'];
export type ModelVersion = Schemas['ModelVersion'];
export type KeyValue = Schemas['KeyValue'];
export type Experiment = Schemas['Experiment'];
export type Run = Schemas['Run'];
export type Metric = Schemas['Metric'];
export type ArtifactFileInfo = Schemas['ArtifactFileInfo'];
export type LifecycleEvent = Schemas['LifecycleEvent'];
export type StagePolicy = Schemas['StagePolicy'];
export type PackageFile = Schemas['SemregPackageFile'];
export type CiJob = Schemas['SemregCiJob'];
export type ApiToken = Schemas['SemregToken'];
export type CreatedToken = Schemas['SemregCreatedToken'];

/** A file as the UI lists it, from whichever listing knew it. */
export interface ListedFile {
  path: string;
  size?: number;
  sha256?: string;
  /** Where to download it (a signed link works without a token, so a plain link can fetch it). */
  downloadUrl?: string;
  /** Where the UI reads it for a preview, with the token. */
  previewUrl: string;
}

/** MLflow's `tags: [{key, value}]` as a lookup. */
export function tagMap(tags: KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value ?? '']));
}
