import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, requireGraph } from '../../../../services/worker/src/onnx/model.js';
import { onnx, type TensorProto } from '../../../../services/worker/src/onnx/proto.js';
import {
  float32FromTensor,
  float32Tensor,
  findInitializer,
  int64FromTensor,
  int64Tensor,
  numbersFromTensor,
  tensorDims,
} from '../../../../services/worker/src/onnx/tensor.js';
import { loadFixtureModel } from './torchFixtures.js';

describe('tensor helpers', () => {
  it('round-trips float32 and int64 data through an encoded model', () => {
    const graph = onnx.GraphProto.create({
      name: 'g',
      initializer: [
        float32Tensor('w', [2, 2], Float32Array.of(1.5, -2, 3.25, 4)),
        int64Tensor('shape', [3], [1, -1, 7]),
      ],
    });
    const decoded = decodeModel(encodeModel(onnx.ModelProto.create({ irVersion: 8, graph })));
    const w = findInitializer(requireGraph(decoded), 'w')!;
    expect(tensorDims(w)).toEqual([2, 2]);
    expect(Array.from(float32FromTensor(w))).toEqual([1.5, -2, 3.25, 4]);
    expect(Array.from(int64FromTensor(findInitializer(requireGraph(decoded), 'shape')!))).toEqual([1n, -1n, 7n]);
  });

  it('reads float_data / int64_data fields and unaligned raw data of real exports', async () => {
    expect(
      numbersFromTensor(onnx.TensorProto.create({ name: 'f', dims: [2], dataType: 1, floatData: [0.5, 2] })),
    ).toEqual([0.5, 2]);
    expect(
      numbersFromTensor(onnx.TensorProto.create({ name: 'i', dims: [2], dataType: 7, int64Data: [3, -4] })),
    ).toEqual([3, -4]);
    const recognizer = await loadFixtureModel('recognizer');
    for (const t of requireGraph(recognizer).initializer as TensorProto[]) {
      const values = float32FromTensor(t);
      expect(values.length).toBe(tensorDims(t).reduce((a, b) => a * b, 1));
      expect(values.every(Number.isFinite)).toBe(true);
    }
  });

  it('refuses a value count that does not match the dims', () => {
    expect(() => float32Tensor('bad', [2, 3], [1, 2])).toThrow(/2 values for dims \[2, 3\]/);
  });
});
