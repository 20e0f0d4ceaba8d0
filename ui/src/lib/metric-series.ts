/**
 * Metric histories as uPlot wants them: one shared, sorted x axis (steps, or time in seconds) and one y array
 * per metric with `null` where that metric has no point, so several metrics share one chart.
 */
export interface MetricPoint {
  value: number | string;
  timestamp: number | string;
  step: number | string;
}

export type Axis = 'step' | 'time';

/** MLflow sends NaN and ±∞ as strings; a chart can only draw finite numbers. */
export function metricNumber(value: number | string): number | null {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function alignSeries(
  histories: Record<string, MetricPoint[]>,
  axis: Axis,
): { keys: string[]; data: [number[], ...(number | null)[][]] } {
  const keys = Object.keys(histories).sort();
  const xOf = (p: MetricPoint) => (axis === 'step' ? Number(p.step) : Number(p.timestamp) / 1000);
  const xs = [...new Set(keys.flatMap((key) => histories[key].map(xOf)))]
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = keys.map((key) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    // Several points at one x (a metric logged twice at one step): the last one logged wins, as in MLflow's chart.
    for (const point of histories[key]) {
      const i = index.get(xOf(point));
      if (i !== undefined) column[i] = metricNumber(point.value);
    }
    return column;
  });
  return { keys, data: [xs, ...ys] };
}
