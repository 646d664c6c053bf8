import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { resizeMatrix } from '../../../../services/worker/src/pack/resizeMatrix.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';

/** onnxruntime's own Resize (linear, half_pixel); at opset 18 with antialiasing as torch and Pillow do it. */
async function onnxResize(input: Float32Array, inSize: number, outSize: number, opset: 13 | 18): Promise<Float32Array> {
  const builder = GraphBuilder.empty('resize');
  builder.input('x', DataType.FLOAT, [1, 1, inSize, inSize]);
  const sizes = builder.constantInt64([1, 1, outSize, outSize]);
  const attributes = {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
    ...(opset === 18 ? { antialias: 1, exclude_outside: 1 } : {}),
  };
  builder.node('Resize', ['x', '', '', sizes], { outputs: ['y'], attributes });
  builder.output('y', DataType.FLOAT, [1, 1, outSize, outSize]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: builder.graph,
  });
  const session = await createSession(model, { provider: 'cpu' });
  const out = await runSession(session, { x: float32([1, 1, inSize, inSize], input) });
  await session.release();
  return asFloat32(out.y!);
}

function applySeparable(input: Float32Array, inSize: number, outSize: number): Float64Array {
  const m = resizeMatrix(inSize, outSize);
  const out = new Float64Array(outSize * outSize);
  for (let i = 0; i < outSize; i++) {
    for (let j = 0; j < outSize; j++) {
      let sum = 0;
      for (let y = 0; y < inSize; y++)
        for (let x = 0; x < inSize; x++) sum += m[i * inSize + y] * m[j * inSize + x] * input[y * inSize + x];
      out[i * outSize + j] = sum;
    }
  }
  return out;
}

function pattern(size: number): Float32Array {
  return Float32Array.from({ length: size * size }, (_, k) => Math.sin(k * 0.37) + ((k * 7) % 5) * 0.1);
}

describe('resizeMatrix', () => {
  it('has rows that sum to 1 (a constant image stays constant)', () => {
    for (const [from, to] of [
      [28, 24],
      [24, 28],
      [1024, 112],
      [5, 5],
    ] as const) {
      const m = resizeMatrix(from, to);
      for (let i = 0; i < to; i++) {
        let sum = 0;
        for (let j = 0; j < from; j++) sum += m[i * from + j];
        expect(sum).toBeCloseTo(1, 12);
      }
    }
  });

  it('is the identity when the size does not change', () => {
    const m = resizeMatrix(6, 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(m[i * 6 + j]).toBe(i === j ? 1 : 0);
  });

  it.each([
    [28, 24],
    [32, 11],
    [112, 37],
  ])('matches onnxruntime Resize-18 (antialias, exclude_outside) when shrinking %i -> %i', async (from, to) => {
    const input = pattern(from);
    const expected = await onnxResize(input, from, to, 18);
    const actual = applySeparable(input, from, to);
    for (let k = 0; k < expected.length; k++) expect(actual[k]).toBeCloseTo(expected[k], 5);
  });

  it.each([
    [24, 28],
    [7, 16],
  ])('matches onnxruntime Resize-13 (plain bilinear) when enlarging %i -> %i', async (from, to) => {
    const input = pattern(from);
    const expected = await onnxResize(input, from, to, 13);
    const actual = applySeparable(input, from, to);
    for (let k = 0; k < expected.length; k++) expect(actual[k]).toBeCloseTo(expected[k], 5);
  });

  it('lets every input pixel contribute when shrinking a lot (the gradient reaches them all)', () => {
    const m = resizeMatrix(1024, 112);
    for (let j = 0; j < 1024; j++) {
      let column = 0;
      for (let i = 0; i < 112; i++) column += m[i * 1024 + j];
      expect(column).toBeGreaterThan(0);
    }
  });
});
