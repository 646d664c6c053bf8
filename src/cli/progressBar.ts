import cliProgress from 'cli-progress';

/** A terminal progress bar for run iterations, with the latest statistics beside it. */
export function iterationBar(total: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      format: 'Langevin |{bar}| {value}/{total} iterations | min angle {minAngle} | prop_ict {propIct}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { minAngle: '-', propIct: '-' });
  return bar;
}
