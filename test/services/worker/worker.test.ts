import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../../src/generated/prisma/enums.js';
import { graphql } from '../../support/graphqlClient.js';
import { registerMiniPack } from '../../support/miniPack.js';
import { withPackChecker } from '../../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';
import { threadNiceValues } from '../../support/threadNice.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../../support/workerProcess.js';

let t: TestPlatform;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  t = await startTestPlatform(
    { api: true, worker: false },
    { BROWNIAN_JOB_EXPIRE_SECONDS: '3', BROWNIAN_JOB_RETRY_LIMIT: '0' },
  );
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await t?.stop();
});

describe('worker', () => {
  it(
    'heartbeats with its host and execution provider, visible in /healthz, at its nice value',
    { timeout: 180_000 },
    async () => {
      const w = spawnWorker({ ...t.env, BROWNIAN_WORKER_NICE: '7' });
      workers.push(w);
      const health = await waitFor(
        async () => {
          const body = (await (await fetch(t.url.replace(/\/graphql$/, '/healthz'))).json()) as {
            workers: Array<{ id: string; host: string; executionProvider: string }>;
          };
          return body.workers.length > 0 ? body : undefined;
        },
        120_000,
        'a worker heartbeat',
      );
      expect(health.workers).toHaveLength(1);
      expect(health.workers[0]).toMatchObject({ host: hostname(), executionProvider: 'cpu' });
      expect(health.workers[0]!.id).toMatch(new RegExp(`^${hostname()}-${w.child.pid}-`));
      expect((await threadNiceValues(w.child.pid!)).get(w.child.pid!)).toBe(7);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    },
  );

  it('fails a run visibly when its job dies with no retries left', { timeout: 300_000 }, async () => {
    const pack = await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]));
    const started = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      {
        input: { modelPackId: pack.id, numIdentities: 8, iterations: 500, seed: '9' },
      },
    );
    const runId: string = started.data!.startLangevinRun.id;
    const doomed = spawnWorker(t.env);
    workers.push(doomed);
    const run = () => t.platform.database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    await waitFor(async () => (await run()).iteration >= 1, 120_000, 'the run to start');
    doomed.child.kill('SIGKILL');
    workers.push(spawnWorker(t.env));
    const failed = await waitFor(
      async () => {
        const row = await run();
        return row.status === RunStatus.FAILED ? row : undefined;
      },
      120_000,
      'the run to be failed',
    );
    expect(failed.error).toMatch(/job failed after 1 attempts: job failed by timeout in active state/);
  });
});
