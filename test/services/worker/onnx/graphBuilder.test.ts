import { describe, expect, it } from 'vitest';
import { getFloat, getInt, getInts, getString, getTensor } from '../../../../services/worker/src/onnx/attributes.js';
import { GraphBuilder } from '../../../../services/worker/src/onnx/graphBuilder.js';
import { onnx } from '../../../../services/worker/src/onnx/proto.js';
import { DataType, float32FromTensor, float32Tensor } from '../../../../services/worker/src/onnx/tensor.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';

describe('GraphBuilder', () => {
  it('builds a runnable graph with unique names, constants and typed attributes', async () => {
    const b = GraphBuilder.empty('g');
    b.input('x', DataType.FLOAT, [2, 3]);
    const perm = b.op('Transpose', ['x'], { perm: [1, 0] }, 'swap');
    const alpha = b.op('LeakyRelu', [perm], { alpha: { float: 1 } }, 'swap');
    const scale = b.constantFloat([2], []);
    const scale2 = b.constantFloat([3], []);
    const y = b.op('Mul', [alpha, scale]);
    b.node('Mul', [y, scale2], { outputs: ['z'] });
    b.output('z', DataType.FLOAT, [3, 2]);
    expect(new Set(b.graph.node.map((n) => n.name)).size).toBe(b.graph.node.length);
    expect(scale).not.toBe(scale2);
    expect(() => b.claim('x')).toThrow(/already used/);

    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: b.graph });
    const session = await createSession(model, { provider: 'cpu' });
    const out = await runSession(session, { x: float32([2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)) });
    await session.release();
    expect(Array.from(asFloat32(out.z!))).toEqual([6, 24, 12, 30, 18, 36]);
  });

  it('reads attributes with defaults', () => {
    const b = GraphBuilder.empty('g');
    b.node('Conv', ['x', 'w'], {
      attributes: { group: 2, strides: [2, 2], auto_pad: 'NOTSET', alpha: 0.5, value: float32Tensor('v', [1], [7]) },
    });
    const node = b.graph.node[0]!;
    expect(getInt(node, 'group', 1)).toBe(2);
    expect(getInt(node, 'missing', 5)).toBe(5);
    expect(getInts(node, 'strides')).toEqual([2, 2]);
    expect(getInts(node, 'pads')).toBeUndefined();
    expect(getString(node, 'auto_pad', '')).toBe('NOTSET');
    expect(getFloat(node, 'alpha', 0)).toBe(0.5);
    expect(Array.from(float32FromTensor(getTensor(node, 'value')!))).toEqual([7]);
  });
});
