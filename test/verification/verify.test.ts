import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { bytesToFloat32, float32ToBytes } from '../../src/core/db/floats.js';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { keptCheckpointKey } from '../../src/core/store/keys.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let langevinId: string;
let datasetId: string;

interface Check {
  subjectId: string;
  object: string;
  location: string;
  matches: boolean;
  problem: string | null;
}
interface VerificationState {
  status: string;
  checked: number;
  mismatches: number;
  verified: boolean | null;
  results: Check[];
  error: string | null;
}

const operate = (query: string, variables: Record<string, unknown> = {}) =>
  graphql(t.url, t.keys[Role.OPERATOR], query, variables);
const runStatus = async (id: string) =>
  (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } })).status;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  const pack = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  const langevin = await operate('mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
    input: { modelPackId: pack.id, numIdentities: 4, iterations: 2, seed: '8', batchSize: 8 },
  });
  langevinId = langevin.data!.startLangevinRun.id;
  await waitFor(async () => (await runStatus(langevinId)) === RunStatus.SUCCEEDED, 180_000, 'the Langevin run');
  const dispersion = await operate(
    'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
    {
      input: { parentRunId: langevinId, numVariations: 3, iterations: 1, seed: '9', shardSize: 3, batchSize: 8 },
    },
  );
  const dispersionId: string = dispersion.data!.startDispersionRun.id;
  await waitFor(async () => (await runStatus(dispersionId)) === RunStatus.SUCCEEDED, 180_000, 'the Dispersion run');
  const created = await operate('mutation($r: [ID!]!) { createDataset(name: "verified", runIds: $r) { id } }', {
    r: [dispersionId, langevinId],
  });
  expect(created.errors).toBeUndefined();
  datasetId = created.data!.createDataset.id;
}, 400_000);
afterAll(async () => t?.stop());

const fields = 'id status checked mismatches verified error results { subjectId object location matches problem }';

async function finished(started: {
  data?: Record<string, { id: string }> | null;
  errors?: unknown;
}): Promise<VerificationState> {
  expect(started.errors).toBeUndefined();
  const id = Object.values(started.data!)[0]!.id;
  return waitFor(
    async () => {
      const response = await graphql(
        t.url,
        t.keys[Role.VIEWER],
        `query($id: ID!) { verification(id: $id) { ${fields} } }`,
        {
          id,
        },
      );
      const state = response.data!.verification as VerificationState;
      if (state.status === 'FAILED') throw new Error(`verification failed: ${state.error}`);
      return state.status === 'SUCCEEDED' ? state : undefined;
    },
    180_000,
    'the verification',
  );
}

const verifyDataset = (sampleCount: number) =>
  operate(`mutation($id: ID!, $n: Int!) { verifyDataset(id: $id, sampleCount: $n) { id } }`, {
    id: datasetId,
    n: sampleCount,
  });
/** `brownian verify`, the real binary: its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(packageRoot, 'bin', 'brownian.js'), 'verify', ...args],
      { env: { ...process.env, BROWNIAN_URL: t.url, BROWNIAN_API_KEY: t.keys[Role.OPERATOR] } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const verifySample = (id: string) => operate(`mutation($id: ID!) { verifySample(id: $id) { id } }`, { id });

describe('verifySample and verifyDataset', () => {
  it('re-derive untouched data bit for bit, then name the image and the latent that were changed', async () => {
    const prisma = t.platform.database.prisma;
    const members = await prisma.datasetMember.count({ where: { datasetId } });
    const clean = await finished(await verifyDataset(1000));
    expect(clean.checked).toBe(members);
    expect(clean.results).toHaveLength(members * 3);
    expect(clean.results.filter((c) => !c.matches)).toEqual([]);
    expect(clean.verified).toBe(true);

    const samples = await prisma.sample.findMany({ orderBy: [{ label: 'asc' }, { variation: 'asc' }] });
    const imageTampered = samples[1]!;
    const latentTampered = samples[4]!;
    // One byte of one image in the object store.
    const png = Buffer.from(await t.platform.store.getBytes(imageTampered.imageKey));
    png[png.length - 20] ^= 0x01;
    await t.platform.store.putBytes(imageTampered.imageKey, png);
    // One latent in the database.
    const latent = bytesToFloat32(latentTampered.latent);
    latent[0] = latent[0]! + 0.75;
    await prisma.sample.update({ where: { id: latentTampered.id }, data: { latent: float32ToBytes(latent) } });

    const tampered = await finished(await verifyDataset(1000));
    expect(tampered.verified).toBe(false);
    const failing = tampered.results.filter((c) => !c.matches);
    expect(failing.map((c) => [c.subjectId, c.object])).toEqual(
      expect.arrayContaining([
        [imageTampered.id, 'IMAGE'],
        [latentTampered.id, 'LATENT'],
      ]),
    );
    // Nothing else is blamed: the untouched samples and the identities still verify.
    expect(new Set(failing.map((c) => c.subjectId))).toEqual(new Set([imageTampered.id, latentTampered.id]));
    const imageCheck = failing.find((c) => c.subjectId === imageTampered.id)!;
    expect(imageCheck.location).toBe(imageTampered.imageKey);
    expect(imageCheck.problem).toContain(imageTampered.imageKey);
    expect(failing.find((c) => c.object === 'LATENT')!.problem).toContain(latentTampered.id);

    const one = await finished(await verifySample(latentTampered.id));
    expect(one.verified).toBe(false);
    expect(one.results.map((c) => [c.object, c.matches])).toEqual([
      ['IMAGE', true],
      ['LATENT', false],
      ['EMBEDDING', false],
    ]);
    const untouched = await finished(await verifySample(samples[0]!.id));
    expect(untouched.verified).toBe(true);

    // The Dispersion run's trajectory, re-run from its seed, ends where the job ended, not at the altered latent.
    const withTrajectories = await finished(
      await operate(`mutation($id: ID!) { verifyDataset(id: $id, sampleCount: 1, segments: 10) { id } }`, {
        id: datasetId,
      }),
    );
    const trajectories = withTrajectories.results.filter((c) => c.object === 'TRAJECTORY');
    expect(trajectories.map((c) => c.subjectId)).toContain(langevinId);
    const blamed = trajectories.filter((c) => !c.matches);
    expect(blamed).toHaveLength(1);
    expect(blamed[0]!.subjectId).toBe(latentTampered.runId);
    expect(blamed[0]!.problem).toContain(latentTampered.id);
    expect(trajectories.find((c) => c.subjectId === langevinId)!.matches).toBe(true);
  }, 400_000);

  it('re-runs a trajectory from its seed and kept checkpoints, and names the checkpoint and the latent that were changed', async () => {
    const prisma = t.platform.database.prisma;
    const pack = await prisma.modelPack.findFirstOrThrow();
    const langevin = await operate('mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
      input: { modelPackId: pack.id, numIdentities: 4, iterations: 6, seed: '21', batchSize: 8, checkpointEvery: 2 },
    });
    const runId: string = langevin.data!.startLangevinRun.id;
    await waitFor(async () => (await runStatus(runId)) === RunStatus.SUCCEEDED, 180_000, 'the Langevin run');
    const dispersion = await operate(
      'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
      {
        input: {
          parentRunId: runId,
          numVariations: 2,
          iterations: 2,
          seed: '22',
          shardSize: 2,
          batchSize: 8,
          checkpointEvery: 1,
        },
      },
    );
    const dispersionId: string = dispersion.data!.startDispersionRun.id;
    await waitFor(async () => (await runStatus(dispersionId)) === RunStatus.SUCCEEDED, 180_000, 'the Dispersion run');
    const verifyRun = (id: string, segments?: number) =>
      operate(`mutation($id: ID!, $n: Int) { verifyRun(id: $id, segments: $n) { id } }`, { id, n: segments ?? null });

    // Every checkpoint the run stored is kept, under its iteration, with its digest in the ledger.
    const kept = [keptCheckpointKey(runId, 2), keptCheckpointKey(runId, 4)];
    expect((await prisma.storedObject.findMany({ where: { key: { in: kept } } })).length).toBe(2);

    // The run's provenance holds the kept checkpoints, each derived from the one before.
    const prov = await graphql(t.url, t.keys[Role.VIEWER], 'query($id: ID!) { provenance(id: $id) }', { id: runId });
    const document = prov.data!.provenance as {
      entity: Record<string, Record<string, unknown>>;
      wasDerivedFrom: Record<string, Record<string, unknown>>;
    };
    const ledger = await prisma.storedObject.findUniqueOrThrow({ where: { key: kept[1]! } });
    expect(document.entity[`part:${runId}.iteration4`]).toMatchObject({ 'brownian:sha256': ledger.sha256 });
    expect(Object.values(document.wasDerivedFrom)).toContainEqual(
      expect.objectContaining({
        'prov:generatedEntity': `part:${runId}.iteration4`,
        'prov:usedEntity': `part:${runId}.iteration2`,
      }),
    );

    const clean = await finished(await verifyRun(runId));
    expect(clean.results.map((c) => [c.object, c.location, c.matches])).toEqual([
      ['CHECKPOINT', kept[0], true],
      ['TRAJECTORY', `iterations 0→2 of run ${runId}`, true],
      ['CHECKPOINT', kept[1], true],
      ['TRAJECTORY', `iterations 2→4 of run ${runId}`, true],
      ['TRAJECTORY', `iterations 4→6 of run ${runId}`, true],
    ]);
    expect(clean.verified).toBe(true);
    const shards = await finished(await verifyRun(dispersionId));
    expect(shards.results.filter((c) => c.object === 'TRAJECTORY').map((c) => c.location)).toEqual([
      `iterations 0→1 of shard 0 of run ${dispersionId}`,
      `iterations 1→2 of shard 0 of run ${dispersionId}`,
      `iterations 0→1 of shard 1 of run ${dispersionId}`,
      `iterations 1→2 of shard 1 of run ${dispersionId}`,
    ]);
    expect(shards.verified).toBe(true);
    const last = await finished(await verifyRun(runId, 1));
    expect(last.results.map((c) => c.location)).toEqual([kept[1], `iterations 4→6 of run ${runId}`]);
    const cliClean = await cli(runId, '--segments', '1');
    expect(cliClean, cliClean.stderr).toMatchObject({ code: 0, stdout: 'verified: all 2 objects match\n' });

    // One value of the checkpoint at iteration 4, rewritten through the store (so its recorded digest follows):
    // re-running 2→4 no longer arrives at it, and 4→6 from it no longer arrives at the stored latents.
    const original = await t.platform.store.getBytes(kept[1]!);
    const altered = Buffer.from(original);
    // A visible change: one low-order bit can be rounded away within two iterations, and then 4→6 would match.
    altered.writeFloatLE(altered.readFloatLE(altered.length - 4) + 0.25, altered.length - 4);
    await t.platform.store.putBytes(kept[1]!, altered);
    const forged = await finished(await verifyRun(runId));
    const failing = forged.results.filter((c) => !c.matches);
    expect(failing.map((c) => c.location)).toEqual([
      `iterations 2→4 of run ${runId}`,
      `iterations 4→6 of run ${runId}`,
    ]);
    expect(failing[0]!.problem).toContain(kept[1]);
    expect(forged.results.find((c) => c.location === `iterations 0→2 of run ${runId}`)!.matches).toBe(true);
    await t.platform.store.putBytes(kept[1]!, original);

    // One identity's latent in the database: the last segment names that identity.
    const identity = await prisma.identity.findFirstOrThrow({ where: { runId, index: 2 } });
    const latent = bytesToFloat32(identity.latent);
    latent[1] = latent[1]! - 0.5;
    await prisma.identity.update({ where: { id: identity.id }, data: { latent: float32ToBytes(latent) } });
    const tampered = await finished(await verifyRun(runId, 1));
    expect(tampered.verified).toBe(false);
    const blamed = tampered.results.find((c) => !c.matches)!;
    expect(blamed.location).toBe(`iterations 4→6 of run ${runId}`);
    expect(blamed.problem).toContain(identity.id);
    expect(blamed.problem).not.toContain((await prisma.identity.findFirstOrThrow({ where: { runId, index: 1 } })).id);
    const cliTampered = await cli(runId, '--segments', '1');
    expect(cliTampered.code, cliTampered.stderr).toBe(1);
    expect(cliTampered.stdout).toContain(`MISMATCH TRAJECTORY iterations 4→6 of run ${runId}`);
    expect(cliTampered.stdout).toContain(identity.id);
    await prisma.identity.update({ where: { id: identity.id }, data: { latent: identity.latent } });

    // Verifications are routed by execution provider: a run recorded on another provider waits for a worker on it.
    const provider = (await prisma.run.findUniqueOrThrow({ where: { id: runId } })).executionProvider;
    const other = provider === 'cuda' ? 'cpu' : 'cuda';
    await prisma.run.update({ where: { id: runId }, data: { executionProvider: other } });
    const routed = await verifyRun(runId, 1);
    // A provider no queue serves goes to any worker, which fails it at once, naming the provider it needs.
    await prisma.run.update({ where: { id: runId }, data: { executionProvider: 'rocm' } });
    const elsewhere = await verifyRun(runId, 1);
    const failed = await waitFor(
      async () => {
        const row = await prisma.verification.findUniqueOrThrow({ where: { id: elsewhere.data!.verifyRun.id } });
        return row.status === 'FAILED' || row.status === 'SUCCEEDED' ? row : undefined;
      },
      180_000,
      'the verification on an unknown provider',
    );
    await prisma.run.update({ where: { id: runId }, data: { executionProvider: provider } });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain('can only be verified by a worker on rocm');
    // The worker finished the later job but never took the routed one: it serves its own provider's queue only.
    const waiting = await prisma.verification.findUniqueOrThrow({ where: { id: routed.data!.verifyRun.id } });
    expect(waiting.status).toBe('QUEUED');
    expect((await t.platform.queue.depth())[`verify-samples-${other}`]).toBe(1);
  }, 600_000);

  it("sends a dataset's OpenLineage event with its runs' outputs, and their parents', as inputs", async () => {
    const prisma = t.platform.database.prisma;
    const dispersionId = (await prisma.run.findFirstOrThrow({ where: { parentRunId: langevinId } })).id;
    // Made from the Dispersion run alone: its samples, and the identities of the Langevin run they vary.
    const created = await operate('mutation($r: [ID!]!) { createDataset(name: "samples only", runIds: $r) { id } }', {
      r: [dispersionId],
    });
    const id: string = created.data!.createDataset.id;
    const rows = await prisma.lineageOutbox.findMany({ where: { runId: id } });
    const event = rows[0]!.payload as {
      eventType: string;
      inputs: Array<{ name: string }>;
      outputs: Array<{ name: string }>;
    };
    expect(rows).toHaveLength(1);
    expect(event.eventType).toBe('COMPLETE');
    expect(event.inputs.map((input) => input.name)).toEqual([
      `runs/${dispersionId}/samples`,
      `runs/${langevinId}/identities`,
    ]);
    expect(event.outputs.map((output) => output.name)).toEqual([`datasets/${id}`]);
  });

  it('refuses what it cannot verify, naming the field', async () => {
    const missing = await verifySample('00000000-0000-4000-8000-000000000000');
    expect(errorCode(missing)).toBe('BAD_USER_INPUT');
    expect(missing.errors![0]!.extensions!.field).toBe('id');
    const zero = await verifyDataset(0);
    expect(zero.errors![0]!.extensions!.field).toBe('sampleCount');
    const noSegments = await operate(`mutation($id: ID!) { verifyRun(id: $id, segments: 0) { id } }`, {
      id: langevinId,
    });
    expect(noSegments.errors![0]!.extensions!.field).toBe('segments');
    const notARun = await operate(`mutation($id: ID!) { verifyRun(id: $id) { id } }`, { id: datasetId });
    expect(notARun.errors![0]!.extensions!.field).toBe('id');
    const viewer = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      `
        mutation ($id: ID!) {
          verifySample(id: $id) {
            id
          }
        }
      `,
      {
        id: langevinId,
      },
    );
    expect(errorCode(viewer)).toBe('FORBIDDEN');
  });
});
