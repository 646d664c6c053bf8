import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../../../src/generated/prisma/enums.js';
import { graphql } from '../../../support/graphqlClient.js';
import { registerMiniPack } from '../../../support/miniPack.js';
import { withPackChecker } from '../../../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../../../support/testPlatform.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../../../support/workerProcess.js';

let t: TestPlatform;
let parentId: string;
const workers: WorkerProcess[] = [];

const prisma = () => t.platform.database.prisma;
const runRow = (id: string) => prisma().run.findUniqueOrThrow({ where: { id } });

function worker(): WorkerProcess {
  const w = spawnWorker(t.env);
  workers.push(w);
  return w;
}

async function stopAll(): Promise<void> {
  for (const w of workers.splice(0)) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}

beforeAll(async () => {
  // Short leases, so that the shard of a killed worker expires within the test.
  t = await startTestPlatform({ api: true, worker: false }, { BROWNIAN_JOB_EXPIRE_SECONDS: '4' });
  const pack = await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]));
  worker();
  const langevin = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    {
      input: { modelPackId: pack.id, numIdentities: 8, iterations: 10, seed: '31', batchSize: 8 },
    },
  );
  parentId = langevin.data!.startLangevinRun.id;
  await waitFor(async () => (await runRow(parentId)).status === RunStatus.SUCCEEDED, 180_000, 'the Langevin run');
}, 240_000);
afterAll(async () => {
  await stopAll();
  await t?.stop();
});

const input = { numVariations: 4, iterations: 8, seed: '32', shardSize: 3, batchSize: 8, checkpointEvery: 2 };

async function start(mutation: 'startDispersionRun' | 'startDiscoRun' = 'startDispersionRun'): Promise<string> {
  const response = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    `mutation($input: DispersionRunInput!) { ${mutation}(input: $input) { id } }`,
    {
      input: { ...input, parentRunId: parentId },
    },
  );
  expect(response.errors).toBeUndefined();
  return response.data![mutation].id;
}

async function succeeded(id: string): Promise<void> {
  const row = await waitFor(
    async () => {
      const r = await runRow(id);
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status) ? r : undefined;
    },
    240_000,
    `run ${id} to end`,
  );
  expect(row.error).toBeNull();
  expect(row.status).toBe(RunStatus.SUCCEEDED);
}

/** Every sample's latent, embedding and image digest, keyed by (identity, variation). */
async function samples(runId: string): Promise<Map<string, string>> {
  const rows = await prisma().sample.findMany({ where: { runId }, orderBy: [{ label: 'asc' }, { variation: 'asc' }] });
  return new Map(
    rows.map((row) => [
      `${row.label}/${row.variation}`,
      `${Buffer.from(row.latent).toString('hex')}|${Buffer.from(row.embedding).toString('hex')}|${row.imageSha256}`,
    ]),
  );
}

const startedShards = (w: WorkerProcess, runId: string) =>
  w
    .output()
    .split('\n')
    .filter((line) => line.includes(runId) && line.includes('Dispersion shard starting')).length;

let oneWorker: Map<string, string>;
let dispersionRun: string;

describe('Dispersion shards across worker processes', () => {
  it('one worker and two give bit-identical samples', async () => {
    dispersionRun = await start();
    await succeeded(dispersionRun);
    oneWorker = await samples(dispersionRun);
    expect(oneWorker.size).toBe(32);

    const second = worker();
    await waitFor(async () => /worker started/.test(second.output()), 60_000, 'the second worker to start');
    const shared = await start();
    await succeeded(shared);
    expect(startedShards(workers[0]!, shared)).toBeGreaterThan(0);
    expect(startedShards(second, shared)).toBeGreaterThan(0);
    expect(await samples(shared)).toEqual(oneWorker);
  }, 300_000);

  it('DisCo on two workers starts wider than Dispersion, keeps variations nearest their reference; EER in the summary', async () => {
    const disco = await start('startDiscoRun');
    await succeeded(disco);
    const first = async (id: string) =>
      (await prisma().runIteration.findUniqueOrThrow({ where: { runId_iteration: { runId: id, iteration: 0 } } }))
        .stats as {
        latentDistance: { avg: number };
        distanceToReference: { avg: number };
      };
    expect((await first(disco)).latentDistance.avg).toBeGreaterThan((await first(dispersionRun)).latentDistance.avg);
    for (const id of [dispersionRun, disco]) {
      const summary = (await runRow(id)).summary as {
        closerThanMedian: number;
        verification: { eer: number; genuinePairs: number; impostorPairs: number };
      };
      expect(summary.closerThanMedian).toBe(1);
      expect(summary.verification.genuinePairs).toBe(8 * 6);
      expect(summary.verification.impostorPairs).toBe((32 * 28) / 2);
      expect(summary.verification.eer).toBeGreaterThanOrEqual(0);
      expect(summary.verification.eer).toBeLessThan(0.5);
    }
  }, 300_000);

  it('a worker killed mid-shard hands the shard on, which resumes from its checkpoint and ends unchanged', async () => {
    await stopAll();
    const doomed = worker();
    const id = await start();
    const shard = await waitFor(
      async () =>
        prisma().runShard.findFirst({ where: { runId: id, status: RunStatus.RUNNING, iteration: { gte: 3 } } }),
      120_000,
      'a shard to pass iteration 3',
    );
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBe('SIGKILL');
    const rescuer = worker();
    await succeeded(id);
    expect(rescuer.output()).toMatch(/resuming shard from checkpoint/);
    expect((await prisma().runShard.findUniqueOrThrow({ where: { id: shard.id } })).attempts).toBeGreaterThanOrEqual(2);
    expect(await samples(id)).toEqual(oneWorker);
    const iterations = await prisma().runIteration.findMany({ where: { runId: id }, orderBy: { iteration: 'asc' } });
    expect(iterations.map((row) => row.iteration)).toEqual(Array.from({ length: input.iterations + 1 }, (_, i) => i));
  }, 300_000);
});
