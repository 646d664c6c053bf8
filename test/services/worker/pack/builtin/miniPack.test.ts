import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../../../../services/worker/src/onnx/model.js';
import { buildAlignmentModel } from '../../../../../services/worker/src/pack/alignment.js';
import { miniArchitecture as arch } from '../../../../../services/worker/src/pack/builtin/architecture.js';
import { mappingForward } from '../../../../../services/worker/src/pack/builtin/mappingNetwork.js';
import {
  buildMiniPack,
  miniPackFiles,
  type MiniPack,
} from '../../../../../services/worker/src/pack/builtin/miniPack.js';
import {
  alignReference,
  buildMiniNetworks,
  truncate,
} from '../../../../../services/worker/src/pack/builtin/miniNetworks.js';
import { recognizerForward } from '../../../../../services/worker/src/pack/builtin/recognizerNetwork.js';
import { SeededRandom } from '../../../../../services/worker/src/pack/builtin/seededRandom.js';
import { synthesisForward } from '../../../../../services/worker/src/pack/builtin/synthesisNetwork.js';
import { tensor, type Tensor64 } from '../../../../../services/worker/src/pack/builtin/tensor64.js';
import { bytesToFloat32 } from '../../../../../src/core/db/floats.js';
import { asFloat32, float32 } from '../../../../../services/worker/src/runtime/hostTensor.js';
import { createSession, runSession } from '../../../../../services/worker/src/runtime/session.js';

/** Changes only when the built-in pack is changed on purpose; a different value on another machine means the build is not deterministic. */
const expectedDigest = '3da076f828d466672efcdef3e8e924e7e78a2b7e3d10cb0d34ab276d892de22a';

let pack: MiniPack;
beforeAll(() => {
  pack = miniPackFiles();
});
const networks = buildMiniNetworks();

async function runModel(bytes: Uint8Array, input: string, x: Tensor64): Promise<Float32Array> {
  const session = await createSession(decodeModel(bytes), { provider: 'cpu' });
  const outputs = await runSession(session, { [input]: float32(x.shape, Float32Array.from(x.data)) });
  await session.release();
  return asFloat32(Object.values(outputs)[0]!);
}

function relativeError(actual: Float32Array, expected: Float64Array): number {
  let num = 0;
  let den = 0;
  expected.forEach((e, k) => {
    num += (actual[k] - e) ** 2;
    den += e * e;
  });
  return Math.sqrt(num / den);
}

function pairwiseAngles(e: Float32Array, n: number, d: number): number[] {
  const angles: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let k = 0; k < d; k++) {
        dot += e[i * d + k] * e[j * d + k];
        a += e[i * d + k] ** 2;
        b += e[j * d + k] ** 2;
      }
      angles.push(Math.acos((0.999999 * dot) / Math.sqrt(a * b)));
    }
  }
  return angles;
}

describe('the built-in pack', () => {
  it('is built byte for byte the same every time, and written to a folder as built', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brownian-mini-'));
    try {
      const again = await buildMiniPack(dir);
      expect(again.digest).toBe(pack.digest);
      expect([...again.files.keys()]).toEqual([...pack.files.keys()]);
      for (const [file, bytes] of pack.files) {
        expect(Buffer.compare(await readFile(join(dir, ...file.split('/'))), bytes), file).toBe(0);
      }
      expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toEqual(pack.manifest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(pack.digest).toBe(expectedDigest);
  });

  it('ships unit covariate directions and w_avg = mean of M(z)', () => {
    for (const covariate of pack.manifest.covariates ?? []) {
      const v = bytesToFloat32(pack.files.get(covariate.file)!);
      expect(v).toHaveLength(arch.latentDim);
      expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    }
    const wAvg = bytesToFloat32(pack.files.get('w_avg.f32')!);
    // An independent estimate from other z samples agrees to within the sampling error.
    const n = 1024;
    const w = mappingForward(networks.mapping, tensor([n, arch.zDim], new SeededRandom(1234).normals(n * arch.zDim)));
    for (let i = 0; i < arch.latentDim; i++) {
      let mean = 0;
      for (let r = 0; r < n; r++) mean += w.data[r * arch.latentDim + i] / n;
      expect(Math.abs(mean - wAvg[i])).toBeLessThan(0.15);
    }
  });
});

describe('the built-in ONNX graphs', () => {
  const n = 3;
  const z = tensor([n, arch.zDim], new SeededRandom(77).normals(n * arch.zDim));
  const w = mappingForward(networks.mapping, z);
  const images = synthesisForward(networks.synthesis, w);
  const aligned = alignReference(images);

  it('compute what the float64 reference networks compute', async () => {
    expect(relativeError(await runModel(pack.files.get('mapping.onnx')!, 'z', z), w.data)).toBeLessThan(1e-5);
    expect(relativeError(await runModel(pack.files.get('generator.onnx')!, 'w', w), images.data)).toBeLessThan(1e-5);
    const alignment = buildAlignmentModel(pack.manifest.alignment, pack.manifest.generator);
    const session = await createSession(alignment, { provider: 'cpu' });
    const out = await runSession(session, { image: float32(images.shape, Float32Array.from(images.data)) });
    await session.release();
    expect(relativeError(asFloat32(out.aligned!), aligned.data)).toBeLessThan(1e-5);
    const embeddings = recognizerForward(networks.recognizer, aligned, false);
    expect(
      relativeError(await runModel(pack.files.get('recognizer.onnx')!, 'aligned', aligned), embeddings.data),
    ).toBeLessThan(1e-5);
  });

  it('give embeddings of random identities a wide spread of angles', async () => {
    const count = 24;
    const zs = tensor([count, arch.zDim], new SeededRandom(5).normals(count * arch.zDim));
    const ws = truncate(mappingForward(networks.mapping, zs), networks.wAvg, arch.truncation);
    const e = await runModel(
      pack.files.get('recognizer.onnx')!,
      'aligned',
      alignReference(synthesisForward(networks.synthesis, ws)),
    );
    const angles = pairwiseAngles(e, count, arch.embeddingDim);
    const mean = angles.reduce((s, a) => s + a, 0) / angles.length;
    const std = Math.sqrt(angles.reduce((s, a) => s + (a - mean) ** 2, 0) / angles.length);
    // Random-init networks without calibration put all embeddings within a few degrees of each other.
    expect(Math.min(...angles)).toBeGreaterThan(0.3);
    expect(mean).toBeGreaterThan(1.2);
    expect(mean).toBeLessThan(1.9);
    expect(std).toBeGreaterThan(0.15);
  });
});
