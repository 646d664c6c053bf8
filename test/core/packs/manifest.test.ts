import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';
import {
  canonicalJson,
  packDigest,
  packFiles,
  parseManifest,
  validateManifest,
  type PackManifest,
} from '../../../src/core/packs/manifest.js';
import { modelPackSchemaJson } from '../../../src/core/packs/manifestSchema.js';
import { PackError } from '../../../src/core/packs/PackError.js';

const digest = (c: string): string => c.repeat(64);

function manifest(): PackManifest {
  return {
    format: 'brownian.model-pack/1',
    name: 'test-pack',
    latentDim: 4,
    embeddingDim: 8,
    mapping: { file: 'mapping.onnx', sha256: digest('a'), input: 'z', output: 'w', zDim: 4 },
    generator: {
      file: 'generator.onnx',
      sha256: digest('b'),
      input: 'w',
      output: 'image',
      layout: 'NCHW',
      channels: 3,
      height: 16,
      width: 16,
      pixelRange: [-1, 1],
    },
    alignment: {
      crop: { x: 2, y: 2, width: 12, height: 12 },
      outputSize: { width: 8, height: 8 },
      pixelRange: [0, 255],
    },
    recognizer: { file: 'models/recognizer.onnx', sha256: digest('c'), input: 'x', output: 'e' },
    wAvg: { values: [0, 0.5, 1, -1] },
    truncation: 0.7,
    covariates: [{ name: 'pose', file: 'pose.f32', sha256: digest('d'), scale: 2 }],
  };
}

const remove = Symbol('remove');
type Edit = [path: string, value: unknown];

/** A JSON copy of the manifest with each `path` (dotted, numeric parts index arrays) set to its value or removed. */
function edited(...edits: Edit[]): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(manifest()));
  for (const [path, value] of edits) {
    const parts = path.split('.');
    const last = parts.pop()!;
    const parent = parts.reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], copy) as Record<
      string,
      unknown
    >;
    if (value === remove) delete parent[last];
    else parent[last] = value;
  }
  return copy;
}

function failure(value: unknown): PackError {
  try {
    validateManifest(value);
  } catch (error) {
    if (error instanceof PackError) return error;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('validateManifest', () => {
  it('accepts a complete manifest and returns it', () => {
    const m = manifest();
    expect(validateManifest(m)).toEqual(m);
  });

  it.each<[string, Edit, string, string]>([
    ['a missing section', ['recognizer', remove], 'recognizer', 'is required'],
    ['a malformed digest', ['recognizer.sha256', 'abc'], 'recognizer.sha256', 'must match ^[0-9a-f]{64}$'],
    ['an unknown field', ['generator.colour', 'rgb'], 'generator.colour', 'is not an allowed field'],
    ['a wrong type', ['latentDim', '512'], 'latentDim', 'must be an integer, got string'],
    ['a fractional dimension', ['embeddingDim', 1.5], 'embeddingDim', 'must be an integer'],
    ['a layout other than NCHW', ['generator.layout', 'NHWC'], 'generator.layout', 'must be one of "NCHW"'],
    ['a negative covariate scale', ['covariates.0.scale', -1], 'covariates[0].scale', 'must be greater than 0'],
    ['truncation above 1', ['truncation', 1.5], 'truncation', 'must be at most 1'],
    ['an unknown format', ['format', 'other/2'], 'format', 'must be "brownian.model-pack/1"'],
    [
      'a pixel range of three numbers',
      ['alignment.pixelRange', [0, 1, 2]],
      'alignment.pixelRange',
      'must have at most 2 items',
    ],
    ['a w_avg that is neither file nor values', ['wAvg', { file: 'w.f32' }], 'wAvg.sha256', 'is required'],
    ['an empty name', ['name', ''], 'name', 'must not be empty'],
  ])('rejects %s, naming the field', (_, edit, field, message) => {
    const error = failure(edited(edit));
    expect(error.code).toBe('manifest-invalid');
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: ${message}`)).toBe(true);
  });

  it.each<[string, Edit, string, string]>([
    ['a crop box outside the image', ['alignment.crop.x', 6], 'alignment.crop', 'outside the 16×16 generator image'],
    ['an inverted pixel range', ['generator.pixelRange', [1, -1]], 'generator.pixelRange', 'low must be below high'],
    ['inline w_avg of the wrong length', ['wAvg.values', [1, 2]], 'wAvg.values', 'has 2 values, latentDim is 4'],
    ['a path leaving the pack', ['generator.file', '../generator.onnx'], 'generator.file', 'must be a relative path'],
    ['an absolute path', ['covariates.0.file', '/etc/passwd'], 'covariates[0].file', 'must be a relative path'],
    [
      'a repeated covariate name',
      ['covariates.1', { name: 'pose', file: 'pose2.f32', sha256: digest('e'), scale: 1 }],
      'covariates[1].name',
      'repeats "pose"',
    ],
    [
      'both crop and landmarks',
      [
        'alignment.landmarks',
        {
          points: [
            [5, 6],
            [10, 6],
            [8, 9],
            [6, 12],
            [10, 12],
          ],
          template: 'arcface',
        },
      ],
      'alignment',
      'exactly one of crop',
    ],
    ['neither crop nor landmarks', ['alignment.crop', remove], 'alignment', 'exactly one of crop'],
    [
      'a constant input with neither values nor file',
      ['generator.constantInputs', [{ name: 'c', dims: [2], perSample: true }]],
      'generator.constantInputs[0]',
      'either values, or file with sha256',
    ],
    [
      'a constant input of the wrong length',
      ['generator.constantInputs', [{ name: 'c', dims: [2, 3], perSample: true, values: [1] }]],
      'generator.constantInputs[0].values',
      'dims [2, 3] need 6',
    ],
    [
      'a constant input named as the latent input',
      ['generator.constantInputs', [{ name: 'w', dims: [1], perSample: false, values: [1] }]],
      'generator.constantInputs[0].name',
      'already the generator input',
    ],
    [
      'a mean of two values for three channels',
      ['recognizer.normalization', { mean: [1, 2], std: [1] }],
      'recognizer.normalization.mean',
      'give 1 or one per channel (3)',
    ],
    [
      'a zero std',
      ['recognizer.normalization', { mean: [127.5], std: [0] }],
      'recognizer.normalization.std',
      'must not contain 0',
    ],
  ])('rejects %s (a rule beyond the schema)', (_, edit, field, message) => {
    const error = failure(edited(edit));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('lists further violations after the first', () => {
    const error = failure(edited(['name', remove], ['truncation', -1]));
    expect(error.message).toBe('name: is required (and 1 more: truncation: must be at least 0)');
  });

  it('treats names of Object.prototype members as unknown fields', () => {
    expect(failure(JSON.parse('{"constructor": 1, "toString": 2}')).message).toContain(
      'constructor: is not an allowed field',
    );
  });
});

describe('parseManifest', () => {
  it('reports text that is not JSON', () => {
    expect(() => parseManifest('{"format":')).toThrow(
      expect.objectContaining({ code: 'manifest-not-json', field: 'manifest.json' }),
    );
  });

  it('parses and validates JSON text', () => {
    expect(parseManifest(JSON.stringify(manifest()))).toEqual(manifest());
  });
});

describe('canonicalJson and packDigest', () => {
  it('sorts keys at every level, keeps array order and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }, 3], e: undefined })).toBe('{"a":[{"c":"x","d":2},3],"b":1}');
  });

  it('gives the same digest whatever the key order, and another for any change', () => {
    const m = manifest();
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value;
    const reordered = reversed(m) as PackManifest;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(m));
    expect(packDigest(reordered)).toBe(packDigest(m));
    expect(packDigest({ ...m, recognizer: { ...m.recognizer, sha256: digest('e') } })).not.toBe(packDigest(m));
    expect(packDigest(m)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists every file with the field that names it', () => {
    expect(packFiles(manifest()).map((f) => [f.field, f.file])).toEqual([
      ['mapping', 'mapping.onnx'],
      ['generator', 'generator.onnx'],
      ['recognizer', 'models/recognizer.onnx'],
      ['covariates[0]', 'pose.f32'],
    ]);
  });
});

describe('schema/model-pack.schema.json', () => {
  it('is the schema the validator interprets', async () => {
    const committed = await readFile(join(packageRoot, 'schema', 'model-pack.schema.json'), 'utf8');
    expect(committed, 'schema/model-pack.schema.json is stale: run `npm run schema`').toBe(modelPackSchemaJson());
  });
});
