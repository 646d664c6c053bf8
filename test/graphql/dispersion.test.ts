import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32, float32ToBytes } from '../../src/core/db/floats.js';
import { memorySource } from '../../src/core/packs/packSource.js';
import { CounterRng, RandomStream } from '../../services/worker/src/diffusion/rng.js';
import { miniPackFiles } from '../../services/worker/src/pack/builtin/index.js';
import { loadPack } from '../../services/worker/src/pack/loadPack.js';
import { PackModel } from '../../services/worker/src/pack/PackModel.js';
import { Role, RunKind, RunStatus } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { seedIdentity, seedModelPack, seedRun } from '../support/seed.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let parentId: string;
let latentDim: number;

const prisma = () => t.platform.database.prisma;
const runRow = (id: string) => prisma().run.findUniqueOrThrow({ where: { id } });
const finished = (id: string, timeoutMs = 120_000) =>
  waitFor(
    async () => {
      const row = await runRow(id);
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(row.status) ? row : undefined;
    },
    timeoutMs,
    `run ${id} to end`,
  );

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  const pack = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  latentDim = (await prisma().modelPack.findUniqueOrThrow({ where: { id: pack.id } })).latentDim;
  const langevin = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    {
      input: { modelPackId: pack.id, numIdentities: 5, iterations: 3, seed: '11', batchSize: 8 },
    },
  );
  parentId = langevin.data!.startLangevinRun.id;
  expect((await finished(parentId)).status).toBe(RunStatus.SUCCEEDED);
}, 180_000);
afterAll(async () => t?.stop());

const mutation = (name: 'startDispersionRun' | 'startDiscoRun') =>
  `mutation($input: DispersionRunInput!) { ${name}(input: $input) { id kind status totalIterations parameters } }`;

const start = (
  input: Record<string, unknown>,
  name: 'startDispersionRun' | 'startDiscoRun' = 'startDispersionRun',
  key = t.keys[Role.OPERATOR],
) =>
  graphql(t.url, key, mutation(name), {
    input: { parentRunId: parentId, numVariations: 3, iterations: 2, seed: '4', shardSize: 2, batchSize: 8, ...input },
  });

async function uploadFloats(values: Float32Array): Promise<string> {
  const { data } = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($f: String!) { createUploadUrl(fileName: $f) { key url } }',
    { f: 'latents.f32' },
  );
  expect((await fetch(data!.createUploadUrl.url, { method: 'PUT', body: float32ToBytes(values) })).status).toBe(200);
  return data!.createUploadUrl.key;
}

async function dispersionJobCount(): Promise<number> {
  const { rows } = await t.platform.database.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'run-dispersion'",
  );
  return rows[0]!.n;
}

describe('startDispersionRun and startDiscoRun', () => {
  it.each([
    [{ parentRunId: 'run-1' }, 'input.parentRunId'],
    [{ parentRunId: '00000000-0000-4000-8000-000000000000' }, 'input.parentRunId'],
    [{ identityIds: [] }, 'input.identityIds'],
    [{ identityIds: ['00000000-0000-4000-8000-000000000000'] }, 'input.identityIds'],
    [{ numVariations: 1 }, 'input.numVariations'],
    [{ iterations: 0 }, 'input.iterations'],
    [{ embeddingCoefficient: -1 }, 'input.embeddingCoefficient'],
    [{ latentCoefficient: -1 }, 'input.latentCoefficient'],
    [{ latentRadius: 0 }, 'input.latentRadius'],
    [{ globalCoefficient: -1 }, 'input.globalCoefficient'],
    [{ randomForce: -0.1 }, 'input.randomForce'],
    [{ viscosity: 0 }, 'input.viscosity'],
    [{ timestep: 0 }, 'input.timestep'],
    [{ initialNoise: -1 }, 'input.initialNoise'],
    [{ seed: 'x' }, 'input.seed'],
    [{ shardSize: 0 }, 'input.shardSize'],
    [{ batchSize: 0 }, 'input.batchSize'],
    [{ checkpointEvery: 0 }, 'input.checkpointEvery'],
    [{ initialLatents: 'uploads/none/latents.f32' }, 'input.initialLatents'],
    [{ principalDirections: 2 }, 'input.principalDirections'],
    [{ covariates: 'PRINCIPAL_DIRECTIONS', principalDirections: 10_000 }, 'input.principalDirections'],
  ])('refuses %j naming %s, and queues nothing', async (input, field) => {
    const before = await prisma().run.count();
    const jobsBefore = await dispersionJobCount();
    const response = await start(input);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await prisma().run.count()).toBe(before);
    // Job rows, not the queue's depth: this file's worker empties the queue, but rows stay.
    expect(await dispersionJobCount()).toBe(jobsBefore);
  });

  it('names every bad field at once', async () => {
    const response = await start({ numVariations: 1, viscosity: -1, shardSize: 0 });
    const fields = (response.errors![0]!.extensions!.problems as Array<{ field: string }>).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['input.numVariations', 'input.viscosity', 'input.shardSize']));
  });

  it('refuses a viewer', async () => {
    expect(errorCode(await start({}, 'startDispersionRun', t.keys[Role.VIEWER]))).toBe('FORBIDDEN');
  });

  it('refuses initial latents of the wrong shape', async () => {
    const key = await uploadFloats(new Float32Array(5 * 3 * latentDim - 1));
    const response = await start({ initialLatents: key });
    expect(response.errors![0]!.message).toMatch(/input.initialLatents: has \d+ bytes; 5×3×32 float32 latents need/);
  });

  it('refuses a parent that is not a SUCCEEDED Langevin run, and DisCo on a pack without directions', async () => {
    const pack = await seedModelPack(prisma(), 'no directions');
    const langevin = await seedRun(prisma(), pack);
    await seedIdentity(prisma(), langevin, 0);
    await seedIdentity(prisma(), langevin, 1);
    const disco = await start({ parentRunId: langevin.id }, 'startDiscoRun');
    expect(disco.errors![0]!.extensions!.field).toBe('input.covariates');
    expect(disco.errors![0]!.message).toMatch(/ships no covariate directions; use PRINCIPAL_DIRECTIONS/);

    const dispersion = await seedRun(prisma(), pack, langevin.id);
    const notLangevin = await start({ parentRunId: dispersion.id });
    expect(notLangevin.errors![0]!.message).toMatch(/is a DISPERSION run, not LANGEVIN/);
    await prisma().run.update({ where: { id: langevin.id }, data: { status: RunStatus.RUNNING } });
    const notFinished = await start({ parentRunId: langevin.id });
    expect(notFinished.errors![0]!.message).toMatch(/is RUNNING, not SUCCEEDED/);
  });

  it("fills in the paper's settings, and the pack's r0 where the paper's does not suit its W", async () => {
    const response = await start({
      numVariations: undefined,
      iterations: undefined,
      shardSize: undefined,
      batchSize: undefined,
      seed: undefined,
    });
    expect(response.errors).toBeUndefined();
    const run = response.data!.startDispersionRun;
    expect(run.kind).toBe(RunKind.DISPERSION);
    expect(run.parameters.dispersion).toEqual({
      iterations: 20,
      variations: 64,
      embeddingCoefficient: 20,
      latentCoefficient: 1,
      latentRadius: 2.5,
      globalCoefficient: 1,
      randomForce: 0.05,
      viscosity: 1,
      timestep: 0.05,
      initialNoise: 0.2,
      batchSize: 32,
    });
    expect(run.parameters).toMatchObject({
      shardSize: 16,
      checkpointEvery: 5,
      packDefaults: ['latentRadius'],
      identityIndices: [0, 1, 2, 3, 4],
    });
    await graphql(t.url, t.keys[Role.OPERATOR], 'mutation($id: ID!) { cancelRun(id: $id) { status } }', { id: run.id });
    expect((await finished(run.id)).status).toBe(RunStatus.CANCELLED);
  });
});

describe('a Dispersion run', () => {
  it('splits into shards, aggregates their statistics per iteration and writes every sample with its shard', async () => {
    const response = await start({});
    expect(response.errors).toBeUndefined();
    const id = response.data!.startDispersionRun.id;
    const row = await finished(id);
    expect(row.error).toBeNull();
    expect(row.status).toBe(RunStatus.SUCCEEDED);
    const query = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        query ($id: ID!) {
          run(id: $id) {
            kind
            iteration
            summary
            shards {
              index
              identityIndices
              status
              iteration
              attempts
            }
            iterations {
              iteration
              stats {
                dt
                dtSpread {
                  min
                  max
                }
                distanceToReference {
                  min
                  avg
                  max
                }
                embeddingDistance {
                  avg
                }
              }
            }
            samples(first: 100) {
              totalCount
              edges {
                node {
                  label
                  variation
                  shardId
                  imageSha256
                  covariateCoefficients
                }
              }
            }
          }
        }
      `,
      { id },
    );
    const run = query.data!.run;
    expect(run.kind).toBe('DISPERSION');
    expect(run.shards.map((s: { identityIndices: number[] }) => s.identityIndices)).toEqual([[0, 1], [2, 3], [4]]);
    expect(
      run.shards.every((s: { status: string; iteration: number }) => s.status === 'SUCCEEDED' && s.iteration === 2),
    ).toBe(true);
    expect(run.iterations.map((i: { iteration: number }) => i.iteration)).toEqual([0, 1, 2]);
    expect(run.iterations[0].stats.dt).toBeCloseTo(0.05, 12);
    expect(run.iterations[2].stats.dt).toBeNull();
    expect(run.samples.totalCount).toBe(15);
    const shardIds = new Set(run.samples.edges.map((e: { node: { shardId: string } }) => e.node.shardId));
    expect(shardIds.size).toBe(3);
    expect(
      run.samples.edges.every(
        (e: { node: { covariateCoefficients: number[] } }) => e.node.covariateCoefficients.length === 0,
      ),
    ).toBe(true);
    expect(run.summary.verification.eer).toBeGreaterThanOrEqual(0);
    expect(run.summary.verification.eer).toBeLessThanOrEqual(0.5);
    expect(run.summary.samples).toBe(15);
  });

  it('DisCo with principal directions of W records them and gives each sample its coefficients', async () => {
    const response = await start(
      { covariates: 'PRINCIPAL_DIRECTIONS', principalDirections: 2, identityIds: undefined },
      'startDiscoRun',
    );
    expect(response.errors).toBeUndefined();
    const { id, kind, parameters } = response.data!.startDiscoRun;
    expect(kind).toBe(RunKind.DISCO);
    expect(parameters.covariates).toEqual({
      source: 'PRINCIPAL_DIRECTIONS',
      names: ['pc1', 'pc2'],
      principalSamples: 4096,
    });
    expect((await finished(id)).status).toBe(RunStatus.SUCCEEDED);
    const samples = await prisma().sample.findMany({ where: { runId: id } });
    expect(samples).toHaveLength(15);
    expect(samples.every((s) => s.covariateCoefficients.length === 2)).toBe(true);
  });
});

/**
 * The method for one identity at a time, written from the paper's equations in float64 around
 * the pack's float32 model: embedding pull by the chain rule through one VJP, latent repulsion and
 * global pull in closed form, fixed dt, no random force (η = 0).
 */
async function perIdentityReference(
  model: PackModel,
  wAvg: Float32Array,
  reference: Float32Array,
  identityIndex: number,
  p: {
    variations: number;
    iterations: number;
    ke: number;
    kw: number;
    r0: number;
    kg: number;
    dt: number;
    mu: number;
    sigma: number;
    seed: string;
  },
): Promise<Float64Array> {
  const W = reference.length;
  const A = p.variations;
  const rng = new CounterRng(BigInt(p.seed));
  const w = new Float64Array(A * W);
  const noise = new Float64Array(W);
  for (let a = 0; a < A; a++) {
    rng.normalRow(
      { stream: RandomStream.dispersionNoise, iteration: 0, index: identityIndex, subindex: a },
      noise,
      0,
      W,
    );
    for (let d = 0; d < W; d++) w[a * W + d] = reference[d]! + p.sigma * noise[d]!;
  }
  const eRef = await model.embed(reference, 1);
  const E = eRef.length;
  const refNorm = Math.hypot(...eRef);
  for (let t = 0; t < p.iterations; t++) {
    const current = Float32Array.from(w);
    const e = await model.embed(current, A);
    const upstream = new Float32Array(A * E);
    for (let a = 0; a < A; a++) {
      const ea = e.subarray(a * E, (a + 1) * E);
      const norm = Math.hypot(...ea);
      let cos = 0;
      for (let k = 0; k < E; k++) cos += (ea[k]! / norm) * (eRef[k]! / refNorm);
      const scaled = 0.999999 * cos;
      const d = Math.acos(scaled);
      // ∂/∂e_a of ½·½·k_e·d² = ½·k_e·d·∂d/∂e_a, with ∂d/∂c = −0.999999/√(1 − (0.999999c)²) and ∂c/∂e_a = (ê_ref − c·ê_a)/|e_a|.
      const slope = (0.5 * p.ke * d * -0.999999) / Math.sqrt(1 - scaled * scaled);
      for (let k = 0; k < E; k++) upstream[a * E + k] = (slope * (eRef[k]! / refNorm - cos * (ea[k]! / norm))) / norm;
    }
    const { latentGradient } = await model.vjp(current, upstream, A);
    const next = new Float64Array(A * W);
    for (let a = 0; a < A; a++) {
      for (let d = 0; d < W; d++) {
        let force = -latentGradient[a * W + d]! + p.kg * (wAvg[d]! - current[a * W + d]!);
        for (let b = 0; b < A; b++) {
          if (b === a) continue;
          let r = 0;
          for (let k = 0; k < W; k++) r += (current[a * W + k]! - current[b * W + k]!) ** 2;
          r = Math.sqrt(r);
          if (r < p.r0) force += (p.kw * (p.r0 - r) * (current[a * W + d]! - current[b * W + d]!)) / r;
        }
        next[a * W + d] = current[a * W + d]! + (p.dt / p.mu) * force;
      }
    }
    w.set(next);
  }
  return w;
}

describe('η = 0 trajectories', () => {
  it('equal a per-identity implementation of the method to 1e-5, whatever the shards and batches', async () => {
    const identities = await prisma().identity.findMany({ where: { runId: parentId }, orderBy: { index: 'asc' } });
    const chosen = [identities[4]!, identities[1]!, identities[2]!];
    const p = { variations: 3, iterations: 4, ke: 20, kw: 1, r0: 2.5, kg: 1, dt: 0.05, mu: 1, sigma: 0.2, seed: '77' };
    const response = await start({
      identityIds: chosen.map((identity) => identity.id),
      numVariations: p.variations,
      iterations: p.iterations,
      randomForce: 0,
      seed: p.seed,
      shardSize: 2,
      batchSize: 4,
    });
    expect(response.errors).toBeUndefined();
    const id = response.data!.startDispersionRun.id;
    expect((await finished(id)).status).toBe(RunStatus.SUCCEEDED);

    const pack = await loadPack(memorySource(miniPackFiles().files));
    const model = await PackModel.open(pack, { batchSize: p.variations, device: 'cpu' });
    try {
      for (const identity of chosen) {
        const expected = await perIdentityReference(
          model,
          pack.wAvg,
          bytesToFloat32(identity.latent),
          identity.index,
          p,
        );
        const rows = await prisma().sample.findMany({
          where: { runId: id, identityId: identity.id },
          orderBy: { variation: 'asc' },
        });
        expect(rows.map((row) => row.label)).toEqual([identity.index, identity.index, identity.index]);
        const actual = rows.flatMap((row) => Array.from(bytesToFloat32(row.latent)));
        let worst = 0;
        actual.forEach(
          (value, k) => (worst = Math.max(worst, Math.abs(value - expected[k]!) / Math.max(1, Math.abs(expected[k]!)))),
        );
        expect(worst).toBeLessThan(1e-5);
      }
    } finally {
      await model.release();
    }
  }, 120_000);
});
