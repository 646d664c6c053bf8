import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCheckpointKey, exportWorkPrefix } from '../../src/core/store/keys.js';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { withPackChecker } from '../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../support/workerProcess.js';

let t: TestPlatform;
let datasetId: string;
const workers: WorkerProcess[] = [];
/** Small checkpoints, so that a worker killed early in an export has saved some of it. */
const checkpointImages = 16;

function worker(): WorkerProcess {
  // Leases renewed every second: with 4-second leases, only a dead worker's job is retried.
  const w = spawnWorker({
    ...t.env,
    BROWNIAN_EXPORT_CHECKPOINT_IMAGES: String(checkpointImages),
    BROWNIAN_HEARTBEAT_SECONDS: '1',
  });
  workers.push(w);
  return w;
}

const operate = (query: string, variables: Record<string, unknown> = {}) =>
  graphql(t.url, t.keys[Role.OPERATOR], query, variables);
const prisma = () => t.platform.database.prisma;
const exportRow = (id: string) => prisma().datasetExport.findUniqueOrThrow({ where: { id } });

async function succeeded(runId: string): Promise<void> {
  await waitFor(
    async () => (await prisma().run.findUniqueOrThrow({ where: { id: runId } })).status === RunStatus.SUCCEEDED,
    300_000,
    `run ${runId}`,
  );
}

beforeAll(async () => {
  // Short leases, so that the job of a killed worker is retried within the test.
  t = await startTestPlatform(
    { api: true, worker: false },
    { BROWNIAN_JOB_EXPIRE_SECONDS: '4', BROWNIAN_JOB_RETRY_DELAY_SECONDS: '1' },
  );
  const packId = (await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]))).id;
  const generator = worker();
  const langevin = await operate('mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
    input: { modelPackId: packId, numIdentities: 4, iterations: 2, seed: '18', batchSize: 8 },
  });
  await succeeded(langevin.data!.startLangevinRun.id);
  const dispersion = await operate(
    'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
    {
      input: {
        parentRunId: langevin.data!.startLangevinRun.id,
        numVariations: 40,
        iterations: 1,
        seed: '19',
        shardSize: 4,
        batchSize: 32,
      },
    },
  );
  await succeeded(dispersion.data!.startDispersionRun.id);
  generator.child.kill('SIGTERM');
  await generator.exited;
  const created = await operate('mutation($runs: [ID!]!) { createDataset(name: "resumable", runIds: $runs) { id } }', {
    runs: [dispersion.data!.startDispersionRun.id],
  });
  expect(created.errors).toBeUndefined();
  datasetId = created.data!.createDataset.id;
}, 600_000);
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await t?.stop();
});

async function startExport(format: string, options: Record<string, unknown>): Promise<string> {
  const started = await operate(
    'mutation($d: ID!, $f: ExportFormat!, $o: ExportOptionsInput) { exportDataset(datasetId: $d, format: $f, options: $o) { id } }',
    { d: datasetId, f: format, o: options },
  );
  expect(started.errors).toBeUndefined();
  return started.data!.exportDataset.id;
}

async function finishedTar(exportId: string): Promise<{ bytes: Buffer; sha256: string }> {
  const row = await waitFor(
    async () => {
      const r = await exportRow(exportId);
      return r.status === 'SUCCEEDED' || r.status === 'FAILED' ? r : undefined;
    },
    300_000,
    `export ${exportId}`,
  );
  expect(row.error).toBeNull();
  const bytes = await t.platform.store.getBytes(row.objectKey!);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
  return { bytes, sha256: row.sha256! };
}

describe('an export whose worker is killed', () => {
  for (const [format, options] of [
    ['INSIGHTFACE_REC', { crop: 'ALIGNED', content: 'BOTH' }],
    ['WEBDATASET', { crop: 'FULL', content: 'SAMPLES', shardSize: 5 }],
  ] as const) {
    it(
      `${format}: another worker resumes from its checkpoint and writes the same bytes as an uninterrupted export`,
      { timeout: 600_000 },
      async () => {
        const killed = worker();
        const interrupted = await startExport(format, options);
        await waitFor(
          async () => await t.platform.store.exists(exportCheckpointKey(interrupted)),
          120_000,
          'the first checkpoint',
        );
        killed.child.kill('SIGKILL');
        expect(await killed.exited).toBe('SIGKILL');
        const atKill = await exportRow(interrupted);
        expect(atKill.status).toBe('RUNNING');
        expect(atKill.done).toBeLessThan(atKill.total);

        const second = worker();
        try {
          const resumed = await finishedTar(interrupted);
          expect(second.output()).toMatch(/"images":\d+[^\n]*export resumed from its checkpoint/);
          const [, from] = /"images":(\d+)[^\n]*export resumed from its checkpoint/.exec(second.output())!;
          expect(Number(from)).toBeGreaterThanOrEqual(checkpointImages);
          expect(await t.platform.store.listKeys(exportWorkPrefix(interrupted))).toEqual([]);

          const reference = await finishedTar(await startExport(format, options));
          expect(resumed.sha256).toBe(reference.sha256);
          expect(resumed.bytes.equals(reference.bytes)).toBe(true);
        } finally {
          second.child.kill('SIGTERM');
          await second.exited;
        }
      },
    );
  }
});
