import { differentiateAnyBatch } from '../../../../services/worker/src/autodiff/anyBatch.js';
import { differentiate, gradientName } from '../../../../services/worker/src/autodiff/differentiate.js';
import { requireGraph } from '../../../../services/worker/src/onnx/model.js';
import type { ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';
import { mulberry32 } from '../../../support/mulberry32.js';
import { uniform } from './gradcheck.js';

export interface BatchAgreement {
  batch: number;
  /** max |any-batch − per-batch| / max |per-batch| over the output and the input gradient. */
  maxRelativeDifference: number;
}

/**
 * Runs the one any-batch gradient graph (one session) and the graph built for each batch (a session each)
 * on the same random inputs and upstream gradients, and says how far apart their outputs and VJPs are.
 * `input` is [batch, …rest] with the rest declared static.
 */
export async function batchGradientAgreement(
  model: ModelProto,
  input: string,
  output: string,
  batches: readonly number[],
): Promise<BatchAgreement[]> {
  const rng = mulberry32(11);
  const anyBatch = await createSession(await differentiateAnyBatch(model, { wrt: [input], outputs: [output] }), {
    provider: 'cpu',
  });
  const rest = declaredDims(model, input).slice(1);
  const results: BatchAgreement[] = [];
  try {
    for (const batch of batches) {
      const graph = await differentiate(model, { wrt: [input], outputs: [output], batch });
      const perBatch = await createSession(graph, { provider: 'cpu' });
      try {
        const shape = [batch, ...rest];
        const dims = declaredDims(graph, gradientName(output));
        const feeds = {
          [input]: float32(shape, uniform(rng, size(shape), -1, 1)),
          [gradientName(output)]: float32(dims, uniform(rng, size(dims), -1, 1)),
        };
        const [a, b] = [await runSession(anyBatch, feeds), await runSession(perBatch, feeds)];
        results.push({
          batch,
          maxRelativeDifference: Math.max(
            difference(asFloat32(a[output]!), asFloat32(b[output]!)),
            difference(asFloat32(a[gradientName(input)]!), asFloat32(b[gradientName(input)]!)),
          ),
        });
      } finally {
        await perBatch.release();
      }
    }
  } finally {
    await anyBatch.release();
  }
  return results;
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function declaredDims(model: ModelProto, name: string): number[] {
  const dims = requireGraph(model).input.find((i) => i.name === name)?.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => Number(d.dimValue));
}

function difference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k += 1) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(b[k]!));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}
