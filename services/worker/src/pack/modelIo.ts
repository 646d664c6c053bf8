import { requireGraph, runtimeInputs } from '../onnx/model.js';
import { toNumber, type IValueInfoProto, type ModelProto } from '../onnx/proto.js';
import { DataType, dataTypeName } from '../onnx/tensor.js';
import { PackError } from '../../../../src/core/packs/PackError.js';

/** A graph input or output as declared: element type and dims (number static, string symbolic, null unknown). */
export interface TensorInfo {
  name: string;
  elemType: string;
  dims: Array<number | string | null> | null;
}

export interface ModelIo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

function info(value: IValueInfoProto): TensorInfo {
  const tensorType = value.type?.tensorType;
  const shape = tensorType?.shape;
  return {
    name: value.name ?? '',
    elemType: dataTypeName(tensorType?.elemType ?? DataType.UNDEFINED),
    dims: shape
      ? (shape.dim ?? []).map((d) =>
          d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : null,
        )
      : null,
  };
}

/** The inputs fed at run time (not initializers) and the outputs. */
export function modelIo(model: ModelProto): ModelIo {
  const graph = requireGraph(model);
  const fed = new Set(runtimeInputs(graph));
  return { inputs: graph.input.filter((i) => fed.has(i.name ?? '')).map(info), outputs: graph.output.map(info) };
}

/** An expected dimension and the manifest field that sets it (for the message when they disagree). */
export interface ExpectedDim {
  value: number;
  field: string;
}

export interface IoExpectation {
  /** Manifest section, e.g. 'generator'. */
  field: string;
  input: string;
  output: string;
  /** Dims after the batch dimension. */
  inputDims: readonly ExpectedDim[];
  outputDims: readonly ExpectedDim[];
  /** Further inputs the pack feeds (the generator's constant inputs), with their dims after the batch axis when per sample. */
  extraInputs?: ReadonlyArray<{ name: string; field: string }>;
  /** The batch size the model is exported at, when the manifest declares one (generator.batch). */
  fixedBatch?: number;
}

function checkTensor(
  tensor: TensorInfo,
  role: 'input' | 'output',
  expected: IoExpectation,
  dims: readonly ExpectedDim[],
): void {
  const field = `${expected.field}.${role}`;
  if (tensor.elemType !== 'FLOAT') {
    throw new PackError(
      'not-float',
      field,
      `${role} "${tensor.name}" is ${tensor.elemType}; the worker exchanges float32 tensors`,
    );
  }
  if (!tensor.dims) return;
  if (tensor.dims.length !== dims.length + 1) {
    throw new PackError(
      'dims-mismatch',
      field,
      `${role} "${tensor.name}" has rank ${tensor.dims.length}, expected ${dims.length + 1} (batch first)`,
    );
  }
  const batch = tensor.dims[0];
  if (typeof batch === 'number' && batch > 0 && batch !== expected.fixedBatch) {
    throw new PackError(
      'dims-mismatch',
      field,
      `${role} "${tensor.name}" has a fixed batch size ${batch}; export it with a dynamic batch axis, or declare ` +
        `generator.batch ${batch} to run it at that batch`,
    );
  }
  dims.forEach((dim, k) => {
    const actual = tensor.dims?.[k + 1];
    if (typeof actual === 'number' && actual > 0 && actual !== dim.value) {
      throw new PackError(
        'dims-mismatch',
        dim.field,
        `is ${dim.value}, but ${expected.field} ${role} "${tensor.name}" has ${actual} at axis ${k + 1}`,
      );
    }
  });
}

/** Checks the named input and output exist, are float32, and have the manifest's dims where declared. */
export function checkModelIo(model: ModelProto, expected: IoExpectation): ModelIo {
  const io = modelIo(model);
  const input = io.inputs.find((i) => i.name === expected.input);
  if (!input) {
    throw new PackError(
      'model-io',
      `${expected.field}.input`,
      `the model has no input "${expected.input}" (inputs: ${io.inputs.map((i) => i.name).join(', ') || 'none'})`,
    );
  }
  const fed = new Set([expected.input, ...(expected.extraInputs ?? []).map((e) => e.name)]);
  const others = io.inputs.filter((i) => !fed.has(i.name));
  if (others.length > 0) {
    throw new PackError(
      'model-io',
      `${expected.field}.input`,
      `the model needs further inputs (${others.map((i) => i.name).join(', ')}); only "${expected.input}" is fed; ` +
        `declare the others in generator.constantInputs`,
    );
  }
  for (const extra of expected.extraInputs ?? []) {
    if (!io.inputs.some((i) => i.name === extra.name)) {
      throw new PackError(
        'model-io',
        extra.field,
        `the model has no input "${extra.name}" (inputs: ${io.inputs.map((i) => i.name).join(', ')})`,
      );
    }
  }
  const output = io.outputs.find((o) => o.name === expected.output);
  if (!output) {
    throw new PackError(
      'model-io',
      `${expected.field}.output`,
      `the model has no output "${expected.output}" (outputs: ${io.outputs.map((o) => o.name).join(', ')})`,
    );
  }
  checkTensor(input, 'input', expected, expected.inputDims);
  checkTensor(output, 'output', expected, expected.outputDims);
  return io;
}
