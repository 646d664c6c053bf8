import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../../../services/worker/src/diffusion/checkpoint.js';
import {
  langevinStep,
  type LangevinState,
  type LangevinSystem,
} from '../../../../services/worker/src/diffusion/langevin.js';
import { langevinParams } from '../../../../src/core/runs/langevinParams.js';
import { CounterRng } from '../../../../services/worker/src/diffusion/rng.js';
import { AnalyticModel, randomArray } from './analyticModel.js';

const W = 8;
const N = 10;

describe('Langevin checkpoints', () => {
  it('lay out a little-endian header followed by float32 latents', () => {
    const bytes = encodeCheckpoint({
      state: { count: 2, latentDim: 1, latents: new Float32Array([1.5, -2]), iteration: 7 },
      seed: 0x0102030405060708n,
    });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x42, 0x52, 0x57, 0x4e, 0x4c, 0x47, 0x56, 0x00]);
    expect(Array.from(bytes.subarray(8, 40))).toEqual([
      1, 0, 0, 0, 7, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0,
    ]);
  });

  it('round-trip latents, iteration and the full 64-bit seed, also from an offset view', () => {
    const state: LangevinState = {
      count: N,
      latentDim: W,
      latents: Float32Array.from(randomArray(N * W, 3, 4)),
      iteration: 42,
    };
    const seed = 2n ** 64n - 3n;
    const bytes = encodeCheckpoint({ state, seed });
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 5);
    for (const view of [bytes, padded.subarray(5)]) {
      const decoded = decodeCheckpoint(view);
      expect(decoded.seed).toBe(seed);
      expect(decoded.state.iteration).toBe(42);
      expect(decoded.state.count).toBe(N);
      expect(decoded.state.latentDim).toBe(W);
      expect(Array.from(decoded.state.latents)).toEqual(Array.from(state.latents));
    }
  });

  it('refuse bytes that are not a checkpoint of this version or are cut short', () => {
    const bytes = encodeCheckpoint({
      state: { count: 2, latentDim: 2, latents: new Float32Array(4), iteration: 0 },
      seed: 1n,
    });
    const badMagic = bytes.slice();
    badMagic[0] = 0;
    expect(() => decodeCheckpoint(badMagic)).toThrow(/magic/);
    const badVersion = bytes.slice();
    badVersion[8] = 2;
    expect(() => decodeCheckpoint(badVersion)).toThrow(/version 2/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 1))).toThrow(/should be 48 bytes/);
    expect(() => decodeCheckpoint(bytes.subarray(0, 10))).toThrow(/shorter than its header/);
  });

  it('resume a run bit-identically to one never interrupted', async () => {
    const params = langevinParams({ randomForce: 0.05, batchSize: 3 });
    const system: LangevinSystem = {
      model: new AnalyticModel(W, 16, 6, 1),
      latentAverage: Float32Array.from(randomArray(W, 8, 0.4)),
      exclusionGallery: null,
    };
    const start: LangevinState = {
      count: N,
      latentDim: W,
      latents: Float32Array.from(randomArray(N * W, 9, 2)),
      iteration: 0,
    };
    const seed = 123456789012345n;

    let uninterrupted = start;
    const rng = new CounterRng(seed);
    for (let t = 0; t < 6; t++) uninterrupted = (await langevinStep(uninterrupted, system, params, rng)).state;

    let firstHalf = start;
    for (let t = 0; t < 3; t++) firstHalf = (await langevinStep(firstHalf, system, params, new CounterRng(seed))).state;
    const restored = decodeCheckpoint(encodeCheckpoint({ state: firstHalf, seed }));
    let resumed = restored.state;
    const resumedRng = new CounterRng(restored.seed);
    for (let t = 0; t < 3; t++) resumed = (await langevinStep(resumed, system, params, resumedRng)).state;

    expect(resumed.iteration).toBe(6);
    expect(Array.from(resumed.latents)).toEqual(Array.from(uninterrupted.latents));
  });
});
