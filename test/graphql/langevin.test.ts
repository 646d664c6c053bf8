import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToFloat32, float32ToBytes } from '../../src/core/db/floats.js';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let pack: { id: string; digest: string; recognizerDigest: string };
let latentDim: number;
let embeddingDim: number;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  const pushed = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  const row = await t.platform.database.prisma.modelPack.findUniqueOrThrow({ where: { id: pushed.id } });
  pack = { ...pushed, recognizerDigest: (row.manifest as { recognizer: { sha256: string } }).recognizer.sha256 };
  latentDim = row.latentDim;
  embeddingDim = row.embeddingDim;
});
afterAll(async () => t?.stop());

const start = (input: Record<string, unknown>, key = t.keys[Role.OPERATOR]) =>
  graphql(
    t.url,
    key,
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id status totalIterations parameters } }',
    {
      input: { modelPackId: pack.id, numIdentities: 6, iterations: 4, seed: '3', batchSize: 4, ...input },
    },
  );

/** Every Langevin job ever queued in this database: the worker empties the queue, but rows stay. */
async function langevinJobCount(): Promise<number> {
  const { rows } = await t.platform.database.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'run-langevin'",
  );
  return rows[0]!.n;
}

const runRow = (id: string) => t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } });

async function uploadFloats(values: Float32Array, fileName: string): Promise<string> {
  const { data } = await graphql(
    t.url,
    t.keys[Role.AUDITOR],
    'mutation($f: String!) { createUploadUrl(fileName: $f) { key url } }',
    { f: fileName },
  );
  const put = await fetch(data!.createUploadUrl.url, { method: 'PUT', body: float32ToBytes(values) });
  expect(put.status).toBe(200);
  return data!.createUploadUrl.key;
}

describe('startLangevinRun', () => {
  it.each([
    [{ numIdentities: 1 }, 'input.numIdentities'],
    [{ iterations: -1 }, 'input.iterations'],
    [{ repulsionRadius: 0 }, 'input.repulsionRadius'],
    [{ viscosity: -1 }, 'input.viscosity'],
    [{ timestep: 0 }, 'input.timestep'],
    [{ seed: 'twelve' }, 'input.seed'],
    [{ checkpointEvery: 0 }, 'input.checkpointEvery'],
    [{ modelPackId: '00000000-0000-4000-8000-000000000000' }, 'input.modelPackId'],
    [{ modelPackId: 'pack-1' }, 'input.modelPackId'],
    [{ exclusionGalleryId: '00000000-0000-4000-8000-000000000000' }, 'input.exclusionGalleryId'],
    [{ exclusionDistance: 1.0 }, 'input.exclusionDistance'],
    [{ initialLatents: 'uploads/none/latents.f32' }, 'input.initialLatents'],
    [{ parentRunId: '00000000-0000-4000-8000-000000000000' }, 'input.parentRunId'],
    [{ parentRunId: 'run-1' }, 'input.parentRunId'],
    // The built-in pack's generator takes w alone: no constant input a run may set.
    [{ generatorInputs: [{ name: 'camera', values: [0] }] }, 'input.generatorInputs[0].name'],
  ])('refuses %j naming %s, and queues nothing', async (input, field) => {
    const before = await t.platform.database.prisma.run.count();
    const jobsBefore = await langevinJobCount();
    const response = await start(input, t.keys[Role.ADMIN]);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await t.platform.database.prisma.run.count()).toBe(before);
    expect(await langevinJobCount()).toBe(jobsBefore);
  });

  it('fails the run it created, visibly and with the reason, when the queue refuses its job', async () => {
    const pool = t.platform.database.pool;
    // A real refusal from the queue's table, as a full disk or a lost connection would give.
    await pool.query(`CREATE FUNCTION pgboss.refuse_job() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'queue refused the job'; END $$`);
    await pool.query(`CREATE TRIGGER refuse_langevin BEFORE INSERT ON pgboss.job FOR EACH ROW
      WHEN (NEW.name = 'run-langevin') EXECUTE FUNCTION pgboss.refuse_job()`);
    let response;
    try {
      response = await start({ seed: '77' });
    } finally {
      await pool.query('DROP TRIGGER refuse_langevin ON pgboss.job');
      await pool.query('DROP FUNCTION pgboss.refuse_job()');
    }
    expect(response.errors).toBeUndefined();
    const run = response.data!.startLangevinRun;
    expect(run.status).toBe('FAILED');
    const row = await runRow(run.id);
    expect(row.status).toBe(RunStatus.FAILED);
    expect(row.error).toMatch(/^could not be queued: .*queue refused the job/);
    expect(row.finishedAt).not.toBeNull();
    const { rows } = await pool.query('SELECT id FROM pgboss.job WHERE singleton_key = $1', [run.id]);
    expect(rows).toEqual([]);
    const audit = await t.platform.database.prisma.auditLogEntry.count({
      where: { target: run.id, operation: 'startLangevinRun' },
    });
    expect(audit).toBe(1);
  });

  it('refuses a viewer with FORBIDDEN', async () => {
    expect(errorCode(await start({}, t.keys[Role.VIEWER]))).toBe('FORBIDDEN');
  });

  it('refuses an operator an exclusion gallery: galleries are for auditors and admins', async () => {
    expect(errorCode(await start({ exclusionGalleryId: '00000000-0000-4000-8000-000000000000' }))).toBe('FORBIDDEN');
  });

  it('refuses initial latents of the wrong shape and a gallery of the wrong dimension', async () => {
    const latents = await uploadFloats(new Float32Array(5 * latentDim), 'latents.f32');
    const wrongShape = await start({ initialLatents: latents });
    expect(response(wrongShape)).toMatch(/input.initialLatents: has \d+ bytes; 6×\d+ float32 latents need/);
    const galleryKey = await uploadFloats(new Float32Array(2 * (embeddingDim + 1)).fill(1), 'gallery.f32');
    const gallery = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id } }',
      {
        input: {
          name: 'wrong dim',
          embeddingDim: embeddingDim + 1,
          count: 2,
          embeddingsKey: galleryKey,
          recognizerDigest: pack.recognizerDigest,
        },
      },
    );
    const wrongDim = await start({ exclusionGalleryId: gallery.data!.createGallery.id }, t.keys[Role.ADMIN]);
    expect(response(wrongDim)).toMatch(/input.exclusionGalleryId: gallery embeddings have dimension/);
  });

  it("fills in the paper's defaults and records them", async () => {
    const started = await start({ iterations: undefined, numIdentities: 2 });
    const parameters = started.data!.startLangevinRun.parameters;
    expect(parameters.langevin).toMatchObject({
      iterations: 100,
      ict: 1.4,
      repulsionCoefficient: 1,
      repulsionRadius: 1.4,
      timestep: -0.3,
      viscosity: 1,
      randomForce: 0.01,
      latentForce: 0.1,
    });
    // Not left running for the tests after this one; queued or already running, it ends CANCELLED.
    const id = started.data!.startLangevinRun.id;
    const cancelled = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($id: ID!) { cancelRun(id: $id) { cancelRequested } }',
      { id },
    );
    expect(cancelled.data!.cancelRun.cancelRequested).toBe(true);
    await waitFor(async () => (await runRow(id)).status === RunStatus.CANCELLED, 60_000, 'the run to be cancelled');
  });
});

function response(r: { errors?: Array<{ message: string }> }): string {
  return r.errors?.[0]?.message ?? '';
}

describe('running', () => {
  it('stops a running run at an iteration boundary when cancelled, keeping its checkpoint', async () => {
    const started = await start({ iterations: 400, checkpointEvery: 2, numIdentities: 8 });
    const id = started.data!.startLangevinRun.id;
    await waitFor(async () => (await runRow(id)).iteration >= 3, 60_000, 'the run to pass iteration 3');
    const cancelled = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($id: ID!) { cancelRun(id: $id) { cancelRequested } }',
      { id },
    );
    expect(cancelled.data!.cancelRun.cancelRequested).toBe(true);
    const row = await waitFor(
      async () => {
        const r = await runRow(id);
        return r.status === RunStatus.CANCELLED ? r : undefined;
      },
      60_000,
      'the run to stop',
    );
    expect(row.iteration).toBeLessThan(400);
    expect(await t.platform.store.exists(`runs/${id}/checkpoint.bin`)).toBe(true);
    expect(await t.platform.database.prisma.identity.count({ where: { runId: id } })).toBe(0);
    const again = await graphql(t.url, t.keys[Role.OPERATOR], 'mutation($id: ID!) { cancelRun(id: $id) { id } }', {
      id,
    });
    expect(errorCode(again)).toBe('CONFLICT');
  });

  it("keeps every identity beyond c0 of an exclusion gallery made from the pack's own embeddings", async () => {
    // The gallery: embeddings of identities of a first run, i.e. faces the pack itself draws.
    const first = (await start({ numIdentities: 8, iterations: 1, seed: '21' })).data!.startLangevinRun.id;
    await waitFor(async () => (await runRow(first)).status === RunStatus.SUCCEEDED, 60_000, 'the gallery run');
    const rows = await t.platform.database.prisma.identity.findMany({
      where: { runId: first },
      orderBy: { index: 'asc' },
    });
    const embeddings = new Float32Array(rows.length * embeddingDim);
    rows.forEach((row, i) => embeddings.set(bytesToFloat32(row.embedding), i * embeddingDim));
    const key = await uploadFloats(embeddings, 'gallery.f32');
    const gallery = await graphql(
      t.url,
      t.keys[Role.AUDITOR],
      'mutation($input: GalleryInput!) { createGallery(input: $input) { id subjectCount } }',
      {
        input: { name: 'own faces', embeddingDim, count: rows.length, embeddingsKey: key, modelPackId: pack.id },
      },
    );
    expect(gallery.data!.createGallery.subjectCount).toBe(8);

    // Starting from the very latents of the gallery faces, the exclusion must push them away.
    const latents = new Float32Array(rows.length * latentDim);
    rows.forEach((row, i) => latents.set(bytesToFloat32(row.latent), i * latentDim));
    const initial = await uploadFloats(latents, 'latents.f32');
    const c0 = 0.6;
    const excluded = await start(
      {
        numIdentities: 8,
        iterations: 30,
        seed: '22',
        initialLatents: initial,
        exclusionGalleryId: gallery.data!.createGallery.id,
        exclusionDistance: c0,
        repulsionCoefficient: 4,
        parentRunId: first,
      },
      t.keys[Role.ADMIN],
    );
    expect(excluded.errors).toBeUndefined();
    const id = excluded.data!.startLangevinRun.id;
    await waitFor(async () => ['SUCCEEDED', 'FAILED'].includes((await runRow(id)).status), 120_000, 'the excluded run');
    const run = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { run(id: $id) { status error parent { id } iterations { iteration stats { exclusion { ' +
        'minDistance identitiesWithin } } } } }',
      { id },
    );
    expect(run.data!.run).toMatchObject({ status: 'SUCCEEDED', parent: { id: first } });
    const stats = run.data!.run.iterations.map(
      (i: { stats: { exclusion: { minDistance: number; identitiesWithin: number } } }) => i.stats.exclusion,
    );
    expect(stats[0].minDistance).toBeLessThan(0.05);
    expect(stats[0].identitiesWithin).toBe(8);
    expect(stats.at(-1).identitiesWithin).toBe(0);
    expect(stats.at(-1).minDistance).toBeGreaterThan(c0);
  });
});

describe('a run that diverges', () => {
  it('fails with the reason and the iteration, and shows no identities', async () => {
    const started = await start({ timestep: 1e30, iterations: 5 });
    const id = started.data!.startLangevinRun.id;
    const row = await waitFor(
      async () => {
        const r = await runRow(id);
        return ['SUCCEEDED', 'FAILED'].includes(r.status) ? r : undefined;
      },
      60_000,
      'the run to end',
    );
    expect(row.status).toBe(RunStatus.FAILED);
    expect(row.error).toMatch(/non-finite latents after iteration \d/);
    expect(row.errorIteration).not.toBeNull();
    expect(await t.platform.database.prisma.identity.count({ where: { runId: id } })).toBe(0);
  });

  it('with zero iterations, still records the statistics of its starting point and writes the identities', async () => {
    const id = (await start({ iterations: 0 })).data!.startLangevinRun.id;
    await waitFor(async () => (await runRow(id)).status === RunStatus.SUCCEEDED, 60_000, 'the run to succeed');
    const run = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      'query($id: ID!) { run(id: $id) { iterations { iteration stats { dt } } identities { totalCount } } }',
      { id },
    );
    expect(run.data!.run).toEqual({
      iterations: [{ iteration: 0, stats: { dt: null } }],
      identities: { totalCount: 6 },
    });
  });
});
