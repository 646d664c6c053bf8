import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniPackFiles } from '../../../../services/worker/src/pack/builtin/index.js';
import { alignReference, buildMiniNetworks } from '../../../../services/worker/src/pack/builtin/miniNetworks.js';
import { recognizerForward } from '../../../../services/worker/src/pack/builtin/recognizerNetwork.js';
import { SeededRandom } from '../../../../services/worker/src/pack/builtin/seededRandom.js';
import { synthesisForward } from '../../../../services/worker/src/pack/builtin/synthesisNetwork.js';
import { tensor } from '../../../../services/worker/src/pack/builtin/tensor64.js';
import { loadPack, type LoadedPack } from '../../../../services/worker/src/pack/loadPack.js';
import { PackModel, runBatchSize } from '../../../../services/worker/src/pack/PackModel.js';
import { memorySource } from '../../../../src/core/packs/packSource.js';
import { asFloat32, float32 } from '../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../services/worker/src/runtime/session.js';

let pack: LoadedPack;
let model: PackModel;

function normals(seed: number, count: number): Float32Array {
  return Float32Array.from(new SeededRandom(seed).normals(count));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

beforeAll(async () => {
  pack = await loadPack(memorySource(miniPackFiles().files));
  model = await PackModel.open(pack, { batchSize: 4, device: 'cpu' });
});

afterAll(async () => {
  await model.release();
});

describe('PackModel on the built-in pack', () => {
  it('reports its dimensions and execution provider', () => {
    expect(model.latentDim).toBe(32);
    expect(model.embeddingDim).toBe(32);
    expect(model.executionProvider).toBe('cpu');
  });

  it('gives VJPs that match central finite differences of the float64 reference networks', async () => {
    // The networks are piecewise linear (leaky ReLU, PReLU): finite differences converge only once
    // the step is too small for float32, so they are taken on the float64 reference of the same pack.
    const networks = buildMiniNetworks();
    const composite = (w: Float64Array): Float64Array =>
      recognizerForward(
        networks.recognizer,
        alignReference(synthesisForward(networks.synthesis, tensor([count, 32], w))),
        false,
      ).data;
    const count = 3;
    const w = await model.mapLatents(normals(1, count * 32), count);
    const upstream = normals(2, count * 32);
    const { embeddings, latentGradient } = await model.vjp(w, upstream, count);
    expect(maxRelativeDifference(embeddings, await model.embed(w, count))).toBeLessThan(1e-5);
    const w64 = Float64Array.from(w);
    const h = 1e-6;
    for (let trial = 0; trial < 3; trial++) {
      const direction = normals(10 + trial, count * 32);
      const plus = composite(w64.map((v, k) => v + h * direction[k]));
      const minus = composite(w64.map((v, k) => v - h * direction[k]));
      const finiteDifference = (dot(upstream, plus) - dot(upstream, minus)) / (2 * h);
      const analytic = dot(latentGradient, direction);
      expect(Math.abs(analytic - finiteDifference)).toBeLessThan(1e-4 * Math.abs(finiteDifference));
      // Far from vanishing: a unit step along a random direction changes u·e by tens.
      expect(Math.abs(analytic)).toBeGreaterThan(5);
    }
  });

  it('runs every batch size, the last partial batch unpadded, from one gradient session', async () => {
    const count = 7;
    const w = await model.mapLatents(normals(3, count * 32), count);
    const upstream = normals(4, count * 32);
    const single = await PackModel.open(pack, { batchSize: 1, device: 'cpu' });
    try {
      expect(await model.gradientServesEveryBatch()).toBe(true);
      const batched = await model.vjp(w, upstream, count);
      const oneByOne = await single.vjp(w, upstream, count);
      expect(maxRelativeDifference(batched.embeddings, oneByOne.embeddings)).toBeLessThan(1e-5);
      expect(maxRelativeDifference(batched.latentGradient, oneByOne.latentGradient)).toBeLessThan(1e-5);
      expect(maxRelativeDifference(await model.embed(w, count), await single.embed(w, count))).toBeLessThan(1e-5);
    } finally {
      await single.release();
    }
  });

  it('embeds exactly what recognizer(alignment(render(w))) gives', async () => {
    const count = 2;
    const w = await model.mapLatents(normals(5, count * 32), count);
    const images = await model.render(w, count);
    expect([images.count, images.channels, images.height, images.width]).toEqual([2, 3, 32, 32]);
    expect(images.pixelRange).toEqual([-1, 1]);
    const alignment = await createSession(pack.alignment, { provider: 'cpu' });
    const recognizer = await createSession(pack.recognizer, { provider: 'cpu' });
    const aligned = await runSession(alignment, { image: float32([2, 3, 32, 32], images.data) });
    const e = await runSession(recognizer, { aligned: aligned.aligned! });
    await alignment.release();
    await recognizer.release();
    expect(maxRelativeDifference(await model.embed(w, count), asFloat32(e.embedding!))).toBeLessThan(1e-5);
  });

  it('maps z to w with truncation towards w_avg', async () => {
    const z = normals(6, 2 * 32);
    const full = await model.mapLatents(z, 2, 1);
    const truncated = await model.mapLatents(z, 2);
    const atAverage = await model.mapLatents(z, 2, 0);
    for (let k = 0; k < full.length; k++) {
      const average = pack.wAvg[k % 32];
      expect(atAverage[k]).toBe(average);
      expect(truncated[k]).toBeCloseTo(average + 0.7 * (full[k] - average), 5);
    }
  });

  it('rejects arrays of the wrong length', async () => {
    await expect(model.embed(new Float32Array(31), 1)).rejects.toThrow('latents: expected 32 values, got 31');
  });
});

describe('runBatchSize', () => {
  it('rounds a partial batch up to a power of two, capped at the batch size', () => {
    expect([1, 2, 3, 5, 8, 9, 31, 32].map((rows) => runBatchSize(rows, 32))).toEqual([1, 2, 4, 8, 8, 16, 32, 32]);
    expect(runBatchSize(5, 6)).toBe(6);
  });
});
