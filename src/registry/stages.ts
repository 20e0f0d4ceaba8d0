import { invalidParameter } from '../errors';

/** MLflow's four stages: any case on input, canonical on output (mlflow-compat.md §6.1). */
export const MLFLOW_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type MlflowStage = (typeof MLFLOW_STAGES)[number];

export function canonicalStage(stage: string): MlflowStage | undefined {
  return MLFLOW_STAGES.find((candidate) => candidate.toLowerCase() === stage.toLowerCase());
}

export function requireStage(stage: string): MlflowStage {
  const canonical = canonicalStage(stage);
  if (!canonical) {
    throw invalidParameter(
      `Invalid Model Version stage: ${stage.slice(0, 100)}. Value must be one of ${MLFLOW_STAGES.join(', ')}.`,
    );
  }
  return canonical;
}

/** MLflow archives the other occupants only when moving into Staging or Production. */
export function stageAllowsArchiving(stage: string): boolean {
  return stage === 'Staging' || stage === 'Production';
}
