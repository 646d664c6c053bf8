import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

const height = 200;

/**
 * A uPlot line chart over iterations. The plot is created once per set of series and fed new
 * data with setData, so a live run's chart grows without being rebuilt on every event.
 */
export function LineChart({ title, x, series }: { title: string; x: number[]; series: Series[] }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 240),
        height,
        scales: { x: { time: false } },
        axes: [{ label: 'iteration' }, { size: 60 }],
        legend: { live: true },
        series: [
          { label: 'iteration' },
          ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true })),
        ],
      },
      [[], ...series.map(() => [])],
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 240), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Series colours and labels fix the plot's shape; their values arrive through setData below, so only
    // `labels` rebuilds the plot.
  }, [labels]);

  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  });

  return (
    <figure className="chart" data-testid={`chart-${title}`} data-points={x.length}>
      <figcaption>{title}</figcaption>
      <div ref={container} />
    </figure>
  );
}
