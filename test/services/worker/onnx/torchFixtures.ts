import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../../src/core/paths.js';
import { loadModelFile } from '../../../../services/worker/src/onnx/model.js';
import type { ModelProto } from '../../../../services/worker/src/onnx/proto.js';

/** torch.onnx exports and torch.autograd references made by test/fixtures/torch-export/generate.py. */
export const FIXTURE_DIR = join(packageRoot, 'test', 'fixtures', 'torch-export');

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

export interface TorchReference {
  opset: number;
  generator: { w: FixtureTensor; image: FixtureTensor; g_image: FixtureTensor; dw: FixtureTensor };
  recognizer: { x: FixtureTensor; embedding: FixtureTensor; g_embedding: FixtureTensor; dx: FixtureTensor };
  composite: { w: FixtureTensor; embedding: FixtureTensor; g_embedding: FixtureTensor; dw: FixtureTensor };
}

export function loadReference(): TorchReference {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'reference.json'), 'utf8')) as TorchReference;
}

export function loadFixtureModel(name: 'generator' | 'mapping' | 'recognizer'): Promise<ModelProto> {
  return loadModelFile(join(FIXTURE_DIR, `${name}.onnx`));
}

/** ||a − b|| / ||b||, the agreement measure the fixtures are judged by. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let norm = 0;
  for (let k = 0; k < expected.length; k += 1) {
    diff += (actual[k]! - expected[k]!) ** 2;
    norm += expected[k]! ** 2;
  }
  return Math.sqrt(diff / norm);
}
