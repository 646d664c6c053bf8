import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { withPackChecker } from '../support/packChecker.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../support/workerProcess.js';

let t: TestPlatform;
let worker: WorkerProcess | undefined;
let packId: string;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: false });
  packId = (await withPackChecker(t, () => registerMiniPack(t.url, t.keys[Role.OPERATOR]))).id;
});
afterAll(async () => {
  worker?.child.kill('SIGKILL');
  await t?.stop();
});

function wsClient(key: string) {
  return createClient({
    url: t.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
}

interface Progress {
  status: string;
  iteration: number;
  stats: { propIct: number; embeddingDistance: { min: number }; dt: number | null } | null;
}

describe('runProgress over a real WebSocket', () => {
  it('delivers every iteration a worker process computes, in order, then the final status', async () => {
    const iterations = 6;
    const client = wsClient(t.keys[Role.VIEWER]);
    const updates: Array<{ runId: string; status: string }> = [];
    const events: Progress[] = [];
    let failed: (error: unknown) => void = () => undefined;
    const broken = new Promise<never>((_resolve, reject) => (failed = reject));
    // runUpdated has no first message: it is known to be live once it hears the new run's QUEUED.
    client.subscribe<{ runUpdated: { runId: string; status: string } }>(
      { query: 'subscription { runUpdated { runId status } }' },
      { next: ({ data }) => updates.push(data!.runUpdated), error: failed, complete: () => undefined },
    );
    const runId: string = await waitFor(
      async () => {
        const started = await graphql(
          t.url,
          t.keys[Role.OPERATOR],
          'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id status } }',
          { input: { modelPackId: packId, numIdentities: 6, iterations, seed: '11', batchSize: 4 } },
        );
        expect(started.errors).toBeUndefined();
        const id: string = started.data!.startLangevinRun.id;
        if (await waitFor(async () => updates.some((u) => u.runId === id), 10_000, 'QUEUED').catch(() => false))
          return id;
        // Sent before the subscription was live: not heard, so not this test's run.
        await graphql(t.url, t.keys[Role.OPERATOR], 'mutation($id: ID!) { cancelRun(id: $id) { id } }', { id });
        return undefined;
      },
      60_000,
      'runUpdated to hear a new run',
    );

    const done = new Promise<void>((resolveDone, reject) => {
      client.subscribe<{ runProgress: Progress }>(
        {
          query:
            'subscription($runId: ID!) { runProgress(runId: $runId) { status iteration stats { propIct dt embeddingDistance { min } } } }',
          variables: { runId },
        },
        {
          next: ({ data, errors }) => {
            if (errors) reject(new Error(errors[0]!.message));
            events.push(data!.runProgress);
            if (['SUCCEEDED', 'FAILED'].includes(data!.runProgress.status) && data!.runProgress.stats === null)
              resolveDone();
          },
          error: reject,
          complete: () => undefined,
        },
      );
    });
    // The first message is the run's current state: from then on the subscriber hears everything.
    await waitFor(async () => events.length > 0, 60_000, 'the current state of the run');
    worker = spawnWorker(t.env);
    await Promise.race([done, broken]);
    await client.dispose();
    const allStatuses = updates.filter((u) => u.runId === runId).map((u) => u.status);

    const iterationEvents = events.filter((e) => e.stats !== null);
    expect(iterationEvents.map((e) => e.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(iterationEvents.slice(0, iterations).every((e) => e.stats!.dt !== null && e.stats!.dt > 0)).toBe(true);
    expect(iterationEvents.at(-1)!.stats!.dt).toBeNull();
    expect(events.filter((e) => e.stats === null).map((e) => e.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(allStatuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);

    const stored = await t.platform.database.prisma.runIteration.findMany({
      where: { runId },
      orderBy: { iteration: 'asc' },
    });
    expect(stored.map((row) => (row.stats as { propIct: number }).propIct)).toEqual(
      iterationEvents.map((e) => e.stats!.propIct),
    );
  });

  it('closes a connection whose key is wrong', async () => {
    const client = wsClient('brn_wrong_key');
    const closed = await new Promise<{ code: number; reason: string }>((resolveClose) => {
      client.on('closed', (event) => resolveClose(event as { code: number; reason: string }));
      client.subscribe(
        { query: 'subscription { runUpdated { runId } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    await client.dispose();
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/^UNAUTHENTICATED/);
  });
});
