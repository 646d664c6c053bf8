import { describe, expect, it } from 'vitest';
import { StoredJsonError } from '../../../src/core/db/json.js';
import type { PackManifest } from '../../../src/core/packs/manifest.js';
import {
  decodeStoredConstantInputs,
  decodeStoredDispersionSettings,
  decodeStoredManifest,
} from '../../../src/core/packs/storedManifest.js';

const digest = (c: string): string => c.repeat(64);

function manifest(): PackManifest {
  return {
    format: 'brownian.model-pack/1',
    name: 'stored',
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
    recognizer: { file: 'recognizer.onnx', sha256: digest('c'), input: 'x', output: 'e' },
    wAvg: { values: [0, 0.5, 1, -1] },
    truncation: 0.7,
    covariates: [{ name: 'pose', file: 'pose.f32', sha256: digest('d'), scale: 2 }],
    dispersion: { latentRadius: 3 },
  };
}

/** The message of the StoredJsonError `decode` throws. */
function storedError(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(StoredJsonError);
    return (error as Error).message;
  }
  throw new Error('the stored value was accepted');
}

describe('decodeStoredManifest', () => {
  it('reads back a manifest that registration accepted, unchanged', () => {
    const stored: unknown = JSON.parse(JSON.stringify(manifest()));
    expect(decodeStoredManifest(stored)).toEqual(manifest());
  });

  it('names the field of a corrupt manifest under the column', () => {
    const stored = { ...manifest(), alignment: { ...manifest().alignment, outputSize: 'big' } };
    expect(storedError(() => decodeStoredManifest(stored))).toMatch(
      /^manifest\.alignment\.outputSize must be an object/,
    );
    const { generator: _, ...noGenerator } = manifest();
    expect(storedError(() => decodeStoredManifest(noGenerator, 'modelPack.manifest'))).toMatch(
      /^modelPack\.manifest\.generator is required/,
    );
  });

  it('names the column itself when the value is not a manifest at all', () => {
    expect(storedError(() => decodeStoredManifest(null))).toMatch(/^manifest must be an object, got null/);
    expect(storedError(() => decodeStoredManifest({ name: 'seeded' }))).toMatch(/^manifest\.format is required/);
  });
});

describe('decodeStoredDispersionSettings', () => {
  it("reads a manifest's Dispersion defaults and covariates", () => {
    expect(decodeStoredDispersionSettings(manifest())).toEqual({
      dispersion: { latentRadius: 3 },
      covariates: [{ name: 'pose', file: 'pose.f32', sha256: digest('d'), scale: 2 }],
    });
  });

  it('gives none for a manifest without them (a row seeded with only a name)', () => {
    expect(decodeStoredDispersionSettings({ name: 'seeded' })).toEqual({ dispersion: {}, covariates: [] });
  });

  it('names the corrupt field', () => {
    expect(storedError(() => decodeStoredDispersionSettings({ dispersion: { latentRadius: -1 } }))).toBe(
      'manifest.dispersion.latentRadius must be greater than 0',
    );
    expect(storedError(() => decodeStoredDispersionSettings({ covariates: [{ name: 'pose' }] }))).toBe(
      'manifest.covariates[0].file is required',
    );
    expect(storedError(() => decodeStoredDispersionSettings({ dispersion: { sigma: 1 } }))).toBe(
      'manifest.dispersion.sigma is not an allowed field',
    );
    expect(storedError(() => decodeStoredDispersionSettings('{}'))).toBe('manifest should be an object');
  });
});

describe('decodeStoredConstantInputs', () => {
  it("reads a manifest's constant generator inputs, and none from one without", () => {
    const constantInputs = [{ name: 'c', dims: [2], perSample: true, values: [0, 1], runParameter: 'camera' }];
    const stored = { ...manifest(), generator: { ...manifest().generator, constantInputs } };
    expect(decodeStoredConstantInputs(stored)).toEqual(constantInputs);
    expect(decodeStoredConstantInputs(manifest())).toEqual([]);
    expect(decodeStoredConstantInputs({ name: 'seeded' })).toEqual([]);
  });

  it('names the corrupt field', () => {
    const stored = { generator: { constantInputs: [{ name: 'c', dims: 'two', perSample: true }] } };
    expect(storedError(() => decodeStoredConstantInputs(stored))).toBe(
      'manifest.generator.constantInputs[0].dims must be an array, got string',
    );
    expect(storedError(() => decodeStoredConstantInputs(null))).toBe('manifest should be an object');
  });
});
