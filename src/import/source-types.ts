/** The MLflow REST messages the importer reads (only the fields it uses; the server may send more). */
export interface KeyValue {
  key: string;
  value?: string;
}

export interface SourceExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: 'active' | 'deleted';
  creation_time?: number | string;
  last_update_time?: number | string;
  tags?: KeyValue[];
}

export interface SourceMetric {
  key: string;
  value: number | string;
  timestamp: number | string;
  step?: number | string;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
  /** Given in a logged model's metrics: the run they were logged to. */
  run_id?: string;
}

export type SourceModelMetric = SourceMetric & { model_id: string };

export interface SourceDatasetInput {
  tags?: KeyValue[];
  dataset?: {
    name?: string;
    digest?: string;
    source_type?: string;
    source?: string;
    schema?: string;
    profile?: string;
  };
}

export interface SourceRun {
  info: {
    run_id?: string;
    run_uuid?: string;
    run_name?: string;
    experiment_id: string;
    user_id?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string;
    artifact_uri?: string;
    lifecycle_stage?: 'active' | 'deleted';
  };
  data?: { metrics?: SourceMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: SourceDatasetInput[]; model_inputs?: Array<{ model_id: string }> };
  outputs?: { model_outputs?: Array<{ model_id: string; step?: number | string }> };
}

export interface SourceLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri?: string;
    creation_timestamp_ms?: number | string;
    last_updated_timestamp_ms?: number | string;
    status?: string;
    model_type?: string;
    source_run_id?: string;
    tags?: KeyValue[];
  };
  data?: { params?: KeyValue[]; metrics?: SourceMetric[] };
}

export interface SourceRegisteredModel {
  name: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  user_id?: string;
  description?: string;
  tags?: KeyValue[];
  aliases?: Array<{ alias: string; version: string }>;
  deployment_job_id?: string;
}

export interface SourceModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  run_link?: string;
  status?: string;
  tags?: KeyValue[];
  aliases?: string[];
  model_id?: string;
}

export interface SourceArtifactFile {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

/** int64 fields may arrive as numbers or decimal strings. */
export const int64 = (value: number | string | undefined, fallback = 0): number =>
  value === undefined || value === '' ? fallback : Number(value);
