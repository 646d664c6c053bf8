import { describe, expect, it } from 'vitest';
import { StoredJsonError } from '../../../src/core/db/json.js';
import type { ConstantInputSpec } from '../../../src/core/packs/manifest.js';
import { decodeStoredConstantInputs } from '../../../src/core/packs/storedManifest.js';
import { checkGeneratorInputs, decodeGeneratorInputs } from '../../../src/core/runs/generatorInputs.js';
import type { ParameterProblem } from '../../../src/core/runs/parameterProblems.js';

const constantInputs: ConstantInputSpec[] = [
  { name: 'c', dims: [25], perSample: true, values: new Array<number>(25).fill(0), runParameter: 'camera' },
  { name: 'noise_0', dims: [1, 1, 4, 4], perSample: false, file: 'noise.f32', sha256: '0'.repeat(64) },
  { name: 'psi', dims: [2, 1], perSample: false, values: [1, 1], runParameter: 'truncation' },
];
const pack = { name: 'eg3d', constantInputs };
const camera = Array.from({ length: 25 }, (_, k) => k / 10);

function check(given: Parameters<typeof checkGeneratorInputs>[0], inherited = {}) {
  const problems: ParameterProblem[] = [];
  const resolved = checkGeneratorInputs(given, pack, 'input.generatorInputs', problems, inherited);
  return { resolved, problems };
}

describe('checkGeneratorInputs', () => {
  it('keeps the values of the inputs the pack lets runs set, over inherited ones', () => {
    expect(check([{ name: 'truncation', values: [0.5, 0.7] }], { camera, truncation: [1, 1] })).toEqual({
      resolved: { camera, truncation: [0.5, 0.7] },
      problems: [],
    });
    expect(check(undefined)).toEqual({ resolved: {}, problems: [] });
  });

  it('names the entry and the field of every problem', () => {
    const { problems } = check([
      { name: 'noise_0', values: new Array<number>(16).fill(0) },
      { name: 'camera', values: [1] },
      { name: 'truncation', values: [1, Number.NaN] },
      { name: 'camera', values: camera },
    ]);
    expect(problems).toEqual([
      {
        field: 'input.generatorInputs[0].name',
        message: 'model pack "eg3d" takes no generator input "noise_0" (it takes "camera", "truncation")',
      },
      { field: 'input.generatorInputs[1].values', message: 'has 1 numbers; "camera" takes 25' },
      { field: 'input.generatorInputs[2].values', message: 'must be finite numbers' },
      { field: 'input.generatorInputs[3].name', message: '"camera" is given more than once' },
    ]);
  });

  it('reads stored parameters back, and stored manifests without a generator as taking none', () => {
    expect(decodeGeneratorInputs(undefined, 'p')).toEqual({});
    expect(decodeGeneratorInputs({ camera }, 'p')).toEqual({ camera });
    expect(() => decodeGeneratorInputs({ camera: [1, 'a'] }, 'p')).toThrow(StoredJsonError);
    expect(() => decodeGeneratorInputs([1], 'p')).toThrow(/p should be an object/);
    expect(decodeStoredConstantInputs({ name: 'seeded' })).toEqual([]);
    expect(decodeStoredConstantInputs({ generator: { constantInputs } })).toBe(constantInputs);
  });
});
