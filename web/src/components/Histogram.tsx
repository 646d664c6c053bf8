import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface HistogramSeries {
  label: string;
  /** One value per bin; shares rather than counts when series of different sizes share the plot. */
  values: number[];
  color: string;
}

const height = 240;

/** Bars over shared bins (uPlot's bars path), e.g. maximum similarities beside the impostor distribution. */
export function Histogram({
  title,
  binStarts,
  series,
  xLabel,
}: {
  title: string;
  binStarts: number[];
  series: HistogramSeries[];
  xLabel: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 240),
        height,
        scales: { x: { time: false } },
        axes: [{ label: xLabel }, { size: 60 }],
        series: [
          { label: xLabel },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color,
            fill: `${s.color}66`,
            points: { show: false },
            // Side by side within each bin: the first series on the left half, the second on the right.
            paths: uPlot.paths.bars?.({ size: [0.45, Infinity], align: i === 0 ? -1 : 1 }),
          })),
        ],
      },
      [binStarts, ...series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 240), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [binStarts, series, xLabel]);
  return (
    <figure className="chart" data-testid="audit-histogram">
      <figcaption>{title}</figcaption>
      <div ref={container} />
    </figure>
  );
}
