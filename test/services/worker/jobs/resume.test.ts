import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../../../src/generated/prisma/enums.js';
import { graphql } from '../../../support/graphqlClient.js';
import { registerMiniPack } from '../../../support/miniPack.js';
import { withPackChecker } from '../../../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../../../support/testPlatform.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../../../support/workerProcess.js';

let t: TestPlatform;
let packId: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // Short leases, so that the job of a killed worker expires within the test.
  t = await startTestPlatform({ api: true, worker: false }, { BROWNIAN_JOB_EXPIRE_SECONDS: '4' });
  packId = (await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]))).id;
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await t?.stop();
});

function worker(): WorkerProcess {
  const w = spawnWorker(t.env);
  workers.push(w);
  return w;
}

const input = { numIdentities: 12, iterations: 80, seed: '5', batchSize: 8, checkpointEvery: 4 };

async function startRun(): Promise<string> {
  const response = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
    {
      input: { ...input, modelPackId: packId },
    },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.startLangevinRun.id;
}

const prisma = () => t.platform.database.prisma;
const runRow = (id: string) => prisma().run.findUniqueOrThrow({ where: { id } });

async function finalLatents(runId: string): Promise<Buffer[]> {
  const rows = await prisma().identity.findMany({ where: { runId }, orderBy: { index: 'asc' } });
  return rows.map((row) => Buffer.from(row.latent));
}

describe('a Langevin job whose worker dies', () => {
  // Its waits add up to minutes on a busy 2-core machine; each has its own generous limit.
  it(
    'is picked up by another worker, resumes from its checkpoint and ends as an uninterrupted run would',
    { timeout: 600_000 },
    async () => {
      const interrupted = await startRun();
      const first = worker();
      await waitFor(
        async () => (await runRow(interrupted)).iteration >= 9,
        90_000,
        'the first worker to pass iteration 9',
      );
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      expect((await runRow(interrupted)).status).toBe(RunStatus.RUNNING);

      const second = worker();
      // Its own log, not the run row, says when the second worker has resumed and stepped on.
      await waitFor(
        async () => /resuming from checkpoint[\s\S]*"msg":"iteration"/.test(second.output()),
        90_000,
        'the second worker to resume',
      );
      // A clean shutdown hands the job back at once, without waiting for its lease to expire.
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect((await runRow(interrupted)).status).toBe(RunStatus.QUEUED);

      worker();
      await waitFor(
        async () => (await runRow(interrupted)).status === RunStatus.SUCCEEDED,
        180_000,
        'the run to succeed',
      );
      expect(second.output()).toMatch(/job released back to the queue/);

      // The run is SUCCEEDED just before its worker marks the job completed.
      const pool = new pg.Pool({ connectionString: t.env.DATABASE_URL });
      const jobs = await waitFor(
        async () => {
          const { rows } = await pool.query(`SELECT retry_count, state FROM pgboss.job WHERE singleton_key = $1`, [
            interrupted,
          ]);
          return rows.every((row) => row.state !== 'active') ? rows : undefined;
        },
        60_000,
        'the job to be completed',
      );
      await pool.end();
      expect(jobs).toEqual([{ retry_count: 1, state: 'completed' }]);

      const uninterrupted = await startRun();
      await waitFor(
        async () => (await runRow(uninterrupted)).status === RunStatus.SUCCEEDED,
        180_000,
        'the reference run',
      );
      const a = await finalLatents(interrupted);
      const b = await finalLatents(uninterrupted);
      expect(a.length).toBe(input.numIdentities);
      expect(a.every((latent, i) => latent.equals(b[i]!))).toBe(true);

      const iterations = await prisma().runIteration.findMany({
        where: { runId: interrupted },
        orderBy: { iteration: 'asc' },
      });
      expect(iterations.map((row) => row.iteration)).toEqual(Array.from({ length: input.iterations + 1 }, (_, i) => i));
      expect(await t.platform.store.exists(`runs/${interrupted}/checkpoint.bin`)).toBe(false);
    },
  );
});
