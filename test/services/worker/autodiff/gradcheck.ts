import { differentiate, gradientName } from '../../../../services/worker/src/autodiff/differentiate.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx, type ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../../../../services/worker/src/runtime/session.js';
import { mulberry32 } from '../../../support/mulberry32.js';
import { expectInferenceMatchesProbe } from './staticInfoCheck.js';

export function uniform(rng: () => number, count: number, low: number, high: number): Float32Array {
  return Float32Array.from({ length: count }, () => low + (high - low) * rng());
}

/** Magnitudes in [low, high] with random signs: keeps inputs away from kinks at 0. */
export function awayFromZero(rng: () => number, count: number, low = 0.2, high = 1): Float32Array {
  return Float32Array.from({ length: count }, () => (rng() < 0.5 ? -1 : 1) * (low + (high - low) * rng()));
}

export interface FloatInput {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A one-output model y = build(inputs) in the given opset; inputs are FLOAT graph inputs. */
export function singleOutputModel(
  opset: number,
  inputs: readonly FloatInput[],
  build: (b: GraphBuilder) => string,
): ModelProto {
  const b = GraphBuilder.empty('case');
  for (const input of inputs) b.input(input.name, DataType.FLOAT, input.shape);
  const y = build(b);
  b.node('Identity', [y], { outputs: ['y'] });
  b.output('y', DataType.FLOAT);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph: b.graph });
}

/**
 * Compares the differentiated graph's VJP of `output` with central finite differences of the forward graph:
 * for L(x) = Σ u·y(x) with a random upstream u, ∂L/∂x_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε,
 * accumulated in double from float32 outputs. Returns ||analytic − numeric|| / ||numeric|| per wrt input.
 */
export async function gradCheck(
  model: ModelProto,
  inputs: readonly FloatInput[],
  wrt: readonly string[],
  output = 'y',
  eps = 1e-2,
): Promise<Record<string, number>> {
  const rng = mulberry32(7);
  const forward = await createSession(model, { provider: 'cpu', optimization: 'disabled' });
  const feeds = Object.fromEntries(inputs.map((i) => [i.name, float32(i.shape, i.data)]));
  const base = (await runSession(forward, feeds))[output]!;
  const upstream = uniform(rng, base.data.length, -1, 1);
  const loss = async (session: Session, replaced: FloatInput): Promise<number> => {
    const y = asFloat32(
      (await runSession(session, { ...feeds, [replaced.name]: float32(replaced.shape, replaced.data) }))[output]!,
    );
    let sum = 0;
    for (let k = 0; k < y.length; k += 1) sum += upstream[k]! * y[k]!;
    return sum;
  };
  const shapes = Object.fromEntries(inputs.map((i) => [i.name, i.shape]));
  await expectInferenceMatchesProbe(model, new Map(Object.entries(shapes)));
  const backward = await createSession(await differentiate(model, { wrt, outputs: [output], inputShapes: shapes }), {
    provider: 'cpu',
  });
  const grads = await runSession(backward, { ...feeds, [gradientName(output)]: float32(base.dims, upstream) });
  const errors: Record<string, number> = {};
  for (const name of wrt) {
    const input = inputs.find((i) => i.name === name)!;
    const numeric = new Float64Array(input.data.length);
    for (let k = 0; k < input.data.length; k += 1) {
      const plus = Float32Array.from(input.data);
      const minus = Float32Array.from(input.data);
      plus[k]! += eps;
      minus[k]! -= eps;
      const lp = await loss(forward, { ...input, data: plus });
      const lm = await loss(forward, { ...input, data: minus });
      numeric[k] = (lp - lm) / (plus[k]! - minus[k]!);
    }
    const analytic = asFloat32(grads[gradientName(name)]!);
    let diff = 0;
    let norm = 0;
    for (let k = 0; k < numeric.length; k += 1) {
      diff += (analytic[k]! - numeric[k]!) ** 2;
      norm += numeric[k]! ** 2;
    }
    errors[name] = Math.sqrt(diff / Math.max(norm, 1e-30));
  }
  await forward.release();
  await backward.release();
  return errors;
}
