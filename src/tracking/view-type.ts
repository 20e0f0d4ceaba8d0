import { invalidValue } from '../errors';

/** MLflow's ViewType: which lifecycle stages a search returns. Names or enum numbers (§1.3). */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

const BY_NUMBER: Record<string, ViewType> = { '1': 'ACTIVE_ONLY', '2': 'DELETED_ONLY', '3': 'ALL' };

export function parseViewType(value: unknown, field: string): ViewType {
  if (value === undefined || value === null || value === '') return 'ACTIVE_ONLY';
  const text = String(value).toUpperCase();
  if (text === 'ACTIVE_ONLY' || text === 'DELETED_ONLY' || text === 'ALL') return text;
  if (text in BY_NUMBER) return BY_NUMBER[text];
  throw invalidValue(field, value, 'expected ACTIVE_ONLY, DELETED_ONLY or ALL.');
}

/** The lifecycle_stage values a view type selects. */
export function lifecycleStages(viewType: ViewType): string[] {
  return viewType === 'ALL' ? ['active', 'deleted'] : viewType === 'DELETED_ONLY' ? ['deleted'] : ['active'];
}
