import { GraphBuilder } from '../../onnx/graphBuilder.js';
import type { ModelProto } from '../../onnx/proto.js';
import { DataType } from '../../onnx/tensor.js';
import { miniArchitecture as arch } from './architecture.js';
import { activationGain, type MappingWeights } from './mappingNetwork.js';
import { batchDim, dense, finishModel, scalar } from './onnxLayers.js';

export const mappingIo = { input: 'z', output: 'w' } as const;

export function exportMapping(weights: MappingWeights): ModelProto {
  const builder = GraphBuilder.empty('mapping');
  builder.input(mappingIo.input, DataType.FLOAT, [batchDim, arch.zDim]);
  const squares = builder.op('Mul', [mappingIo.input, mappingIo.input]);
  const meanSquare = builder.op('ReduceMean', [squares], { axes: [1], keepdims: 1 });
  const norm = builder.op('Sqrt', [
    builder.op('Add', [meanSquare, scalar(builder, 'pixel_norm.epsilon', arch.pixelNormEpsilon)]),
  ]);
  let x = builder.op('Div', [mappingIo.input, norm], undefined, 'pixel_norm');
  const gain = scalar(builder, 'activation_gain', activationGain);
  weights.layers.forEach((layer, index) => {
    const y = dense(builder, `fc${index}`, x, layer);
    x = builder.op('Mul', [builder.op('LeakyRelu', [y], { alpha: arch.leakySlope }), gain]);
  });
  return finishModel(builder, x, { name: mappingIo.output, dims: [batchDim, arch.latentDim] });
}
