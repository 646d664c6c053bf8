import type { IterationStats } from '../api/types';
import { LineChart, type Series } from './LineChart';

export interface IterationPoint {
  iteration: number;
  stats: IterationStats;
}

const colors = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c'];

interface ChartSpec {
  title: string;
  series: { label: string; value: (s: IterationStats) => number | null | undefined }[];
  /** Hidden when no iteration has a value (e.g. exclusion without a gallery). */
  optional?: boolean;
}

const charts: ChartSpec[] = [
  {
    title: 'Embedding angle (rad)',
    series: [
      { label: 'min', value: (s) => s.embeddingDistance.min },
      { label: 'mean', value: (s) => s.embeddingDistance.avg },
    ],
  },
  { title: 'prop_ict', series: [{ label: 'prop_ict', value: (s) => s.propIct }] },
  {
    title: 'Latent distance',
    series: [
      { label: 'min', value: (s) => s.latentDistance.min },
      { label: 'mean', value: (s) => s.latentDistance.avg },
      { label: 'max', value: (s) => s.latentDistance.max },
    ],
  },
  {
    title: 'Force norms (mean)',
    series: [
      { label: 'total', value: (s) => s.totalForce?.avg },
      { label: 'interaction', value: (s) => s.interactionForce?.avg },
      { label: 'latent', value: (s) => s.latentForce?.avg },
      { label: 'random', value: (s) => s.randomForce?.avg },
    ],
  },
  { title: 'dt', series: [{ label: 'dt', value: (s) => s.dt }] },
  { title: 'Distance to w_avg (mean)', series: [{ label: 'distance', value: (s) => s.meanDistanceToAverage }] },
  {
    title: 'Exclusion distance (min to gallery)',
    series: [{ label: 'min angle', value: (s) => s.exclusion?.minDistance }],
    optional: true,
  },
];

/** The per-iteration charts of a run; the caller passes the points so far and they grow as events arrive. */
export function RunCharts({ points }: { points: IterationPoint[] }) {
  const x = points.map((p) => p.iteration);
  return (
    <div className="charts">
      {charts.map((chart) => {
        const series: Series[] = chart.series.map((s, i) => ({
          label: s.label,
          color: colors[i % colors.length]!,
          values: points.map((p) => s.value(p.stats) ?? null),
        }));
        if (chart.optional && series.every((s) => s.values.every((v) => v === null))) return null;
        return <LineChart key={chart.title} title={chart.title} x={x} series={series} />;
      })}
    </div>
  );
}
