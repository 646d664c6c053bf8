import type { CheckReport, ModelReport } from './check.js';
import type { TensorInfo } from './modelIo.js';

function tensorText(t: TensorInfo): string {
  return `${t.name} [${(t.dims ?? ['?']).map((d) => d ?? '?').join(', ')}] ${t.elemType}`;
}

function modelText(m: ModelReport): string[] {
  const lines = [
    `${m.role}${m.differentiated ? '' : ' (forward only)'}: opset ${m.opset}; inputs ` +
      `${m.io.inputs.map(tensorText).join(', ')}; outputs ${m.io.outputs.map(tensorText).join(', ')}`,
  ];
  const ops = m.ops.map((op) => {
    if (!m.differentiated) return `${op.opType} x${op.count}`;
    return `${op.opType} x${op.count} ${op.supported ? 'ok' : `NO GRADIENT (${op.onGradientPath} on the gradient path)`}`;
  });
  lines.push(`  ops: ${ops.join(', ')}`);
  return lines;
}

const exp = (x: number): string => x.toExponential(2);

/** The report as `brownian pack check` prints it. */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  if (report.pack)
    lines.push(`pack ${report.pack.name} from ${report.pack.location}`, `digest ${report.pack.digest}`, '');
  for (const m of report.models) lines.push(...modelText(m));
  if (report.dims) {
    const d = report.dims;
    const ws = d.numWs === undefined ? '' : ` (broadcast to ${d.numWs} layers)`;
    lines.push(
      '',
      `dims: z ${d.zDim} -> w ${d.latentDim}${ws} -> image ${d.image.join('x')} -> aligned ` +
        `${d.recognizerInput.join('x')} -> embedding ${d.embeddingDim}`,
    );
    if (report.fixedBatch !== undefined)
      lines.push(
        `fixed batch: the generator export runs at batch ${report.fixedBatch} only; every run is padded to it`,
      );
  }
  if (report.timing) {
    const t = report.timing;
    lines.push(
      `timing (${t.executionProvider}, batch ${t.batch}): forward ${t.forwardMs.toFixed(2)} ms, forward+VJP ` +
        `${t.vjpMs.toFixed(2)} ms (x${t.ratio.toFixed(2)}); gradient graph built in ${t.gradientBuildMs.toFixed(0)} ms`,
    );
  }
  if (report.gradientCheck) {
    const g = report.gradientCheck;
    lines.push(
      `gradient check: ${g.directions.length} random directions, step ${g.step.toPrecision(3)}, VJP at ${g.points} ` +
        `points per segment: relative error ${exp(g.relativeError)} (tolerance ${g.tolerance}) ${g.passed ? 'ok' : 'FAILED'}`,
    );
    for (const c of g.directions) {
      lines.push(
        `  finite difference ${c.finiteDifference.toPrecision(6)}, VJP along the segment ` +
          `${c.pathAverage.toPrecision(6)}, VJP at w ${c.pointDerivative.toPrecision(6)}`,
      );
    }
  }
  if (report.reference.length > 0) {
    lines.push('reference (relative error):');
    const width = Math.max(...report.reference.map((r) => r.name.length));
    for (const r of report.reference)
      lines.push(
        `  ${r.name.padEnd(width)}  ${exp(r.relativeError)} (tolerance ${r.tolerance}) ${r.passed ? 'ok' : 'FAILED'}`,
      );
  }
  lines.push('', report.passed ? 'PASSED' : 'FAILED');
  for (const problem of report.problems) lines.push(`  ${problem}`);
  return `${lines.join('\n')}\n`;
}
