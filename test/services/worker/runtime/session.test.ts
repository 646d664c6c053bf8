import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { encodeModel } from '../../../../services/worker/src/onnx/model.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32, int64 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';

function shapeAndScale() {
  const b = GraphBuilder.empty('g');
  b.input('x', DataType.FLOAT, ['n', 2]);
  b.node('Mul', ['x', b.constantFloat([3], [])], { outputs: ['y'] });
  b.node('Shape', ['x'], { outputs: ['shape'] });
  b.output('y', DataType.FLOAT, ['n', 2]);
  b.output('shape', DataType.INT64, [2]);
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
}

describe('sessions', () => {
  it('creates a session from a ModelProto or its bytes and returns typed outputs', async () => {
    for (const source of [shapeAndScale(), encodeModel(shapeAndScale())]) {
      const session = await createSession(source, { provider: 'cpu', intraOpThreads: 1 });
      const all = await runSession(session, { x: float32([2, 2], Float32Array.of(1, 2, 3, 4)) });
      expect(Array.from(asFloat32(all.y!))).toEqual([3, 6, 9, 12]);
      expect(all.shape).toEqual({ type: 'int64', dims: [2], data: BigInt64Array.of(2n, 2n) });
      const some = await runSession(session, { x: float32([1, 2], Float32Array.of(1, 1)) }, ['y']);
      expect(Object.keys(some)).toEqual(['y']);
      await session.release();
    }
  });

  it('checks host tensor sizes and element types', () => {
    expect(() => float32([2, 2], new Float32Array(3))).toThrow(/dims \[2, 2\] given 3 values/);
    expect(() => asFloat32(int64([1], BigInt64Array.of(1n)), 'shape')).toThrow(/shape is int64, expected float32/);
  });
});
