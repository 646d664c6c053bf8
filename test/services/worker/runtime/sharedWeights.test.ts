import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { encodeModel } from '../../../../services/worker/src/onnx/model.js';
import { onnx, type ModelProto } from '../../../../services/worker/src/onnx/proto.js';
import { DataType, float32Tensor } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';
import { SharedWeights } from '../../../../services/worker/src/runtime/sharedWeights.js';
import { mulberry32 } from '../../../support/mulberry32.js';

const rows = 256;
const columns = 128;

/** y = x · W + b with W of 128 KiB (shared) and b of 512 bytes (kept inline). */
function linear(weight: Float32Array, bias: Float32Array): ModelProto {
  const b = GraphBuilder.empty('linear');
  b.input('x', DataType.FLOAT, ['batch', rows]);
  b.initializer(float32Tensor('W', [rows, columns], weight));
  b.initializer(float32Tensor('b', [columns], bias));
  b.node('Add', [b.op('MatMul', ['x', 'W']), 'b'], { outputs: ['y'] });
  b.output('y', DataType.FLOAT);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
}

function random(seed: number, count: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count }, () => rng() - 0.5);
}

async function run(model: ModelProto | ReturnType<SharedWeights['encode']>, x: Float32Array): Promise<Float32Array> {
  const session = await createSession(model, { provider: 'cpu' });
  try {
    return asFloat32((await runSession(session, { x: float32([2, rows], x) }))['y']!);
  } finally {
    await session.release();
  }
}

describe('SharedWeights', () => {
  it('serves a session the same weights from its buffer, leaving the model and small initializers alone', async () => {
    const model = linear(random(1, rows * columns), random(2, columns));
    const before = encodeModel(model);
    const weights = SharedWeights.of(model);
    expect(weights.bytes).toBe(rows * columns * 4);
    const encoded = weights.encode(model);
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
    expect(encoded.bytes.length).toBeLessThan(4096);
    expect(encoded.externalData).toHaveLength(1);
    const x = random(3, 2 * rows);
    expect(await run(encoded, x)).toEqual(await run(model, x));
  });

  it('keeps inline an initializer whose bytes differ from the shared one of its name', async () => {
    const shared = SharedWeights.of(linear(random(1, rows * columns), random(2, columns)));
    const other = linear(random(4, rows * columns), random(2, columns));
    const encoded = shared.encode(other);
    expect(encoded.bytes.length).toBeGreaterThan(rows * columns * 4);
    const x = random(5, 2 * rows);
    expect(await run(encoded, x)).toEqual(await run(other, x));
  });
});
