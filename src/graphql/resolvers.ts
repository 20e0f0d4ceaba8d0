import { listRunArtifacts } from '../artifacts/listing';
import { searchModelVersions } from '../registry/search';
import { searchDatasets } from '../tracking/dataset-summaries';
import { getExperiment } from '../tracking/experiments';
import { getMetricHistoryBulkInterval } from '../tracking/metrics';
import { searchRuns } from '../tracking/run-search';
import type { RunJson } from '../tracking/run-view';
import { getRun } from '../tracking/runs';
import { requireRunId } from '../tracking/validation';
import { GraphqlContext, requireRead, restInput, visibleModels } from './context';

/**
 * The resolvers of MLflow's root fields and of its run extensions. Each one is the REST RPC of the same name
 * (validated by that route's schema, then the same service call), so GraphQL and REST cannot disagree;
 * the fields they return are read by `protoFieldResolver`.
 */
type Input = { input?: Record<string, unknown> | null };
type Resolver<Source = unknown> = (source: Source, args: Input, ctx: GraphqlContext) => Promise<unknown>;

const searchRunsField: Resolver = async (_source, { input }, ctx) => {
  requireRead(ctx);
  return searchRuns(ctx.app.db, restInput(ctx, 'searchRuns', 'body', input));
};

export const queryResolvers: Record<string, Resolver> = {
  mlflowGetExperiment: async (_source, { input }, ctx) => {
    requireRead(ctx);
    const rest = restInput(ctx, 'getExperiment', 'query', input);
    return { experiment: await getExperiment(ctx.app.db, rest.experiment_id as string) };
  },
  mlflowGetRun: async (_source, { input }, ctx) => {
    requireRead(ctx);
    return { run: await getRun(ctx.app.db, requireRunId(restInput(ctx, 'getRun', 'query', input))) };
  },
  mlflowSearchRuns: searchRunsField,
  mlflowListArtifacts: async (_source, { input }, ctx) => {
    requireRead(ctx);
    const rest = restInput(ctx, 'listRunArtifacts', 'query', input);
    return listRunArtifacts(
      ctx.app,
      (rest.run_id || rest.run_uuid) as string | undefined,
      rest.path as string | undefined,
    );
  },
  mlflowGetMetricHistoryBulkInterval: async (_source, { input }, ctx) => {
    requireRead(ctx);
    return getMetricHistoryBulkInterval(
      ctx.app.db,
      restInput(ctx, 'getMetricHistoryBulkInterval', 'query', input),
    );
  },
  mlflowSearchModelVersions: async (_source, { input }, ctx) => {
    requireRead(ctx);
    const rest = restInput(ctx, 'searchModelVersions', 'query', input);
    return searchModelVersions(ctx.app.db, rest, visibleModels(ctx.req));
  },
  // MLflow's smoke-test field, kept so the schema is the reference's.
  test: async (_source, args) => ({ output: (args as { inputString?: string }).inputString }),
};

export const mutationResolvers: Record<string, Resolver> = {
  mlflowSearchDatasets: async (_source, { input }, ctx) => {
    requireRead(ctx);
    return searchDatasets(ctx.app.db, restInput(ctx, 'searchDatasets', 'body', input));
  },
  mlflowSearchRuns: searchRunsField,
  testMutation: async (_source, args) => ({ output: (args as { inputString?: string }).inputString }),
};

/** MLflow's `MlflowRunExtension`: a run's experiment and its registered versions, one lookup per request. */
export const runExtensionResolvers: Record<string, Resolver<RunJson>> = {
  experiment: async (run, _args, ctx) => {
    const id = run.info.experiment_id;
    let experiment = ctx.experiments.get(id);
    if (!experiment) {
      experiment = getExperiment(ctx.app.db, id);
      ctx.experiments.set(id, experiment);
    }
    return experiment;
  },
  modelVersions: async (run, _args, ctx) => ctx.runModelVersions.of(run.info.run_id),
};
