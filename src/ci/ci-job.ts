import { invalidParameter } from '../errors';

/**
 * The CI job that produced a model version, package file or run. A job names itself through request
 * headers (`X-CI-Job-Id` …, the curl route) or through tags (`ci.job_id` …, or GitLab's predefined variables
 * sent as `gitlab.CI_JOB_ID` …, the MLflow client route). semreg stores the four values in first-class
 * columns and hands them back as the `ci.*` tags.
 */
export interface CiJob {
  jobId?: string;
  jobUrl?: string;
  pipelineId?: string;
  commitSha?: string;
}

type Field = keyof CiJob;

/** Where each field may come from, in precedence order: header, then `ci.*` tag, then `gitlab.CI_*` tag. */
const SOURCES: Record<Field, { header: string; tags: readonly string[] }> = {
  jobId: { header: 'x-ci-job-id', tags: ['ci.job_id', 'gitlab.CI_JOB_ID'] },
  jobUrl: { header: 'x-ci-job-url', tags: ['ci.job_url', 'gitlab.CI_JOB_URL'] },
  pipelineId: { header: 'x-ci-pipeline-id', tags: ['ci.pipeline_id', 'gitlab.CI_PIPELINE_ID'] },
  commitSha: { header: 'x-ci-commit-sha', tags: ['ci.commit_sha', 'gitlab.CI_COMMIT_SHA'] },
};

/** The tag each field is returned as. */
export const CI_TAG_KEYS: Record<Field, string> = {
  jobId: 'ci.job_id',
  jobUrl: 'ci.job_url',
  pipelineId: 'ci.pipeline_id',
  commitSha: 'ci.commit_sha',
};

/** The column each field is stored in (model_versions, runs, package_files). */
const CI_COLUMNS = {
  jobId: 'ci_job_id',
  jobUrl: 'ci_job_url',
  pipelineId: 'ci_pipeline_id',
  commitSha: 'ci_commit_sha',
} as const;
export type CiColumn = (typeof CI_COLUMNS)[Field];

const FIELDS = Object.keys(CI_TAG_KEYS) as Field[];

const COLUMN_BY_TAG = new Map<string, CiColumn>(
  FIELDS.map((field) => [CI_TAG_KEYS[field], CI_COLUMNS[field]]),
);

/** The column a `ci.*` tag lives in (these tags are typed columns, not rows of a tags table), if any. */
export function ciColumnForTag(key: string): CiColumn | undefined {
  return COLUMN_BY_TAG.get(key);
}

// Column sizes of model_versions / runs / package_files (migrations 001, 005, 006).
const ID_RULE = /^[\x21-\x7e]{1,256}$/;
const SHA_RULE = /^[0-9a-fA-F]{7,64}$/;
const MAX_URL = 2048;

function validate(field: Field, value: string, origin: string): string {
  switch (field) {
    case 'jobId':
    case 'pipelineId':
      if (!ID_RULE.test(value)) {
        throw invalidParameter(
          `Invalid CI ${field === 'jobId' ? 'job id' : 'pipeline id'} in ${origin}: 1-256 printable ASCII characters without spaces.`,
        );
      }
      return value;
    case 'commitSha':
      if (!SHA_RULE.test(value))
        throw invalidParameter(`Invalid CI commit sha in ${origin}: 7-64 hexadecimal characters.`);
      return value.toLowerCase();
    case 'jobUrl': {
      // The URL is shown to people and may be rendered as a link: only http(s), never javascript: or data:,
      // and only printable ASCII (a browser would percent-encode anything else anyway).
      let url: URL | undefined;
      try {
        url = value.length <= MAX_URL ? new URL(value) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !/^[\x21-\x7e]+$/.test(value)) {
        throw invalidParameter(
          `Invalid CI job URL in ${origin}: an absolute http(s) URL of at most ${MAX_URL} characters.`,
        );
      }
      return value;
    }
  }
}

function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export type TagList = ReadonlyArray<{ key: string; value?: string | null }>;

/**
 * Reads the CI job from request headers (Node lower-cases their names) and MLflow tags. Values that are
 * present but malformed are refused with INVALID_PARAMETER_VALUE rather than silently dropped, so a
 * misconfigured pipeline notices.
 */
export function extractCiJob(
  headers: Readonly<Record<string, string | string[] | undefined>> = {},
  tags: TagList = [],
): CiJob {
  const tagMap = new Map<string, string>();
  for (const tag of tags) {
    const value = tag.value?.trim();
    if (value) tagMap.set(tag.key, value);
  }
  const job: CiJob = {};
  for (const field of Object.keys(SOURCES) as Field[]) {
    const { header, tags: tagKeys } = SOURCES[field];
    const fromHeader = headerValue(headers, header);
    if (fromHeader !== undefined) {
      job[field] = validate(field, fromHeader, `header ${header}`);
      continue;
    }
    const tagKey = tagKeys.find((key) => tagMap.has(key));
    if (tagKey) job[field] = validate(field, tagMap.get(tagKey)!, `tag ${tagKey}`);
  }
  return job;
}

/** The `ci.*` tags to return for a stored CI job (absent fields are left out, as MLflow omits unset ones). */
export function ciJobTags(job: CiJob): Array<{ key: string; value: string }> {
  return FIELDS.filter((field) => job[field] !== undefined && job[field] !== null).map((field) => ({
    key: CI_TAG_KEYS[field],
    value: job[field]!,
  }));
}

/** The column values for a CI job (`ci_job_id` …), ready for an insert. */
export function ciJobColumns(job: CiJob): Record<CiColumn, string | null> {
  return Object.fromEntries(FIELDS.map((field) => [CI_COLUMNS[field], job[field] ?? null])) as Record<
    CiColumn,
    string | null
  >;
}

/** The CI job stored in a row's `ci_*` columns. */
export function ciJobFromColumns(row: Record<CiColumn, string | null>): CiJob {
  return Object.fromEntries(
    FIELDS.filter((field) => row[CI_COLUMNS[field]] !== null).map((field) => [field, row[CI_COLUMNS[field]]]),
  ) as CiJob;
}

/**
 * The `ci.*` tags for a CI job named by X-CI-* headers alone (runs/create): appended after the request's
 * own tags, so a header wins over a tag as in `extractCiJob`. The runs table keeps its CI columns in step
 * with these tags (migration 005).
 */
export function ciHeaderTags(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Array<{ key: string; value: string }> {
  return ciJobTags(extractCiJob(headers, []));
}
