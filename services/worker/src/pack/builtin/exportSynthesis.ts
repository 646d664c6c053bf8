import { GraphBuilder } from '../../onnx/graphBuilder.js';
import type { ModelProto } from '../../onnx/proto.js';
import { DataType } from '../../onnx/tensor.js';
import { miniArchitecture as arch } from './architecture.js';
import { activationGain } from './mappingNetwork.js';
import { batchDim, dense, finishModel, scalar, tensorWeight, weight } from './onnxLayers.js';
import {
  blurWeight,
  skipUpsampleWeight,
  squaredWeightSums,
  type ModulatedConv,
  type SynthesisWeights,
} from './synthesisNetwork.js';

export const generatorIo = { input: 'w', output: 'image' } as const;

interface Shared {
  builder: GraphBuilder;
  w: string;
  one: string;
  epsilon: string;
  gain: string;
}

/** [n, c] → [n, c, 1, 1], keeping the batch size symbolic. */
function toChannels(shared: Shared, x: string, channels: number): string {
  return shared.builder.op('Reshape', [x, shared.builder.constantInt64([-1, channels, 1, 1])]);
}

function modulatedConv(shared: Shared, name: string, layer: ModulatedConv, x: string): string {
  const { builder } = shared;
  const inChannels = layer.affine.bias.length;
  const styles = dense(builder, `${name}.affine`, shared.w, layer.affine);
  let y = builder.op('Mul', [x, toChannels(shared, styles, inChannels)]);
  const kernel = tensorWeight(builder, `${name}.weight`, layer.weight);
  let outChannels: number;
  if (layer.kind === 'up') {
    outChannels = layer.weight.shape[1];
    y = builder.op(
      'ConvTranspose',
      [y, kernel],
      { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0] },
      `${name}.conv`,
    );
    const blur = tensorWeight(builder, `${name}.blur`, blurWeight(outChannels));
    y = builder.op('Conv', [y, blur], { kernel_shape: [4, 4], pads: [1, 1, 1, 1], group: outChannels }, `${name}.blur`);
  } else {
    outChannels = layer.weight.shape[0];
    const size = layer.weight.shape[2];
    const pad = (size - 1) / 2;
    y = builder.op('Conv', [y, kernel], { kernel_shape: [size, size], pads: [pad, pad, pad, pad] }, `${name}.conv`);
  }
  if (layer.kind !== 'rgb') {
    const sums = squaredWeightSums(layer);
    const sumsTransposed = new Float64Array(inChannels * outChannels);
    for (let o = 0; o < outChannels; o++)
      for (let i = 0; i < inChannels; i++) sumsTransposed[i * outChannels + o] = sums.data[o * inChannels + i];
    const squared = builder.op('Mul', [styles, styles]);
    const energy = builder.op('MatMul', [
      squared,
      weight(builder, `${name}.weight_sq`, [inChannels, outChannels], sumsTransposed),
    ]);
    const demodulation = builder.op(
      'Div',
      [shared.one, builder.op('Sqrt', [builder.op('Add', [energy, shared.epsilon])])],
      undefined,
      `${name}.demod`,
    );
    y = builder.op('Mul', [y, toChannels(shared, demodulation, outChannels)]);
  }
  y = builder.op('Add', [y, weight(builder, `${name}.bias`, [1, outChannels, 1, 1], layer.bias)]);
  if (layer.kind === 'rgb') return y;
  return builder.op('Mul', [builder.op('LeakyRelu', [y], { alpha: arch.leakySlope }), shared.gain]);
}

export function exportSynthesis(weights: SynthesisWeights): ModelProto {
  const builder = GraphBuilder.empty('generator');
  builder.input(generatorIo.input, DataType.FLOAT, [batchDim, arch.latentDim]);
  const shared: Shared = {
    builder,
    w: generatorIo.input,
    one: scalar(builder, 'one', 1),
    epsilon: scalar(builder, 'demod.epsilon', arch.demodulationEpsilon),
    gain: scalar(builder, 'activation_gain', activationGain),
  };
  const constant = tensorWeight(builder, 'const', weights.constant);
  let x = modulatedConv(shared, 'b4.conv', weights.initialConv, constant);
  let image = modulatedConv(shared, 'b4.torgb', weights.initialRgb, x);
  const skipKernel = tensorWeight(builder, 'skip_up', skipUpsampleWeight(arch.imageChannels));
  weights.blocks.forEach((block, index) => {
    const name = `b${arch.synthesisChannels[index + 1].resolution}`;
    x = modulatedConv(shared, `${name}.conv0`, block.up, x);
    x = modulatedConv(shared, `${name}.conv1`, block.conv, x);
    const skip = builder.op(
      'ConvTranspose',
      [image, skipKernel],
      { kernel_shape: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] },
      `${name}.skip_up`,
    );
    image = builder.op('Add', [skip, modulatedConv(shared, `${name}.torgb`, block.rgb, x)]);
  });
  return finishModel(builder, image, {
    name: generatorIo.output,
    dims: [batchDim, arch.imageChannels, arch.imageSize, arch.imageSize],
  });
}
