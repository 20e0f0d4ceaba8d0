import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { alignSeries, type Axis, type MetricPoint } from '../lib/metric-series';

const STEP_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 1e5, 1e6, 1e7];
const COLORS = ['#0b5cad', '#c0392b', '#1f8a3a', '#8e44ad', '#d35400', '#16a085', '#7f8c8d'];

const widthOf = (element: HTMLElement) => Math.max(280, Math.min(element.clientWidth || 800, 1100));

/** Several metric histories on one uPlot chart, x = step or wall-clock time. */
export function MetricChart({ histories, axis }: { histories: Record<string, MetricPoint[]>; axis: Axis }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current;
    if (!element) return;
    const { keys, data } = alignSeries(histories, axis);
    let chart: uPlot | undefined;
    let live = true;
    const resize = () => chart?.setSize({ width: widthOf(element), height: 300 });
    // uPlot comes with the first chart (a chunk of its own): the registry pages never load it.
    void import('uplot').then(({ default: UPlot }) => {
      if (!live) return;
      chart = new UPlot(
        {
          width: widthOf(element),
          height: 300,
          scales: { x: { time: axis === 'time' } },
          // Steps are integers: no tick at step 0.5.
          axes: [axis === 'step' ? { label: 'step', incrs: STEP_INCREMENTS } : {}, {}],
          series: [
            { label: axis === 'step' ? 'step' : 'time' },
            ...keys.map((key, i) => ({
              label: key,
              stroke: COLORS[i % COLORS.length],
              spanGaps: true,
              points: { show: true },
            })),
          ],
        },
        data as uPlot.AlignedData,
        element,
      );
    });
    addEventListener('resize', resize);
    return () => {
      live = false;
      removeEventListener('resize', resize);
      chart?.destroy();
    };
  }, [histories, axis]);
  return (
    <div
      class="chart"
      ref={target}
      role="img"
      aria-label={`Chart of ${Object.keys(histories).join(', ')} by ${axis}`}
    />
  );
}
