import type { Queryable } from '../db/knex';
import type { ModelVersionJson } from '../registry/views';
import { searchModelVersions } from '../registry/search';

/**
 * `MlflowRunExtension.modelVersions`: the versions registered from a run, as MLflow resolves it (a model
 * version search with `run_id='<id>'`), filtered to the models the caller may read. `mlflowSearchRuns` asks
 * for it once per run (1,000 runs by default, times 10 root fields); the runs asked for in the same tick are
 * answered by one search with `run_id IN (…)` per 1,000 runs, read page by page, instead of a query each.
 */
const PAGE = 10000;
/** 1,000 quoted run ids stay far below the filter grammar's 100,000 characters. */
const RUNS_PER_SEARCH = 1000;

export class RunModelVersions {
  private pending = new Map<string, Array<(versions: ModelVersionJson[]) => void>>();
  private failures = new Map<string, Array<(err: unknown) => void>>();

  constructor(
    private readonly db: Queryable,
    private readonly visibleModels: readonly string[],
  ) {}

  of(runId: string): Promise<ModelVersionJson[]> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) queueMicrotask(() => void this.flush());
      this.pending.set(runId, [...(this.pending.get(runId) ?? []), resolve]);
      this.failures.set(runId, [...(this.failures.get(runId) ?? []), reject]);
    });
  }

  private async flush(): Promise<void> {
    const waiting = this.pending;
    const failing = this.failures;
    this.pending = new Map();
    this.failures = new Map();
    try {
      const byRun = await this.search([...waiting.keys()]);
      for (const [runId, resolvers] of waiting)
        resolvers.forEach((resolve) => resolve(byRun.get(runId) ?? []));
    } catch (err) {
      for (const rejecters of failing.values()) rejecters.forEach((reject) => reject(err));
    }
  }

  private async search(runIds: string[]): Promise<Map<string, ModelVersionJson[]>> {
    const byRun = new Map<string, ModelVersionJson[]>();
    for (let start = 0; start < runIds.length; start += RUNS_PER_SEARCH) {
      for (const version of await this.versionsOf(runIds.slice(start, start + RUNS_PER_SEARCH))) {
        const runId = version.run_id ?? '';
        byRun.set(runId, [...(byRun.get(runId) ?? []), version]);
      }
    }
    return byRun;
  }

  private async versionsOf(runIds: string[]): Promise<ModelVersionJson[]> {
    // Ids come from stored runs (imported ones too), so they are escaped as the filter grammar reads strings.
    const quoted = runIds.map((id) => `'${id.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(', ');
    const versions: ModelVersionJson[] = [];
    let pageToken: string | undefined;
    do {
      const page = await searchModelVersions(
        this.db,
        { filter: `run_id IN (${quoted})`, max_results: PAGE, page_token: pageToken },
        this.visibleModels,
      );
      versions.push(...page.model_versions);
      pageToken = page.next_page_token;
    } while (pageToken);
    return versions;
  }
}
