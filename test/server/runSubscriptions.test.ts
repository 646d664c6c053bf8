import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let packId: string;
let client: Client;

beforeAll(async () => {
  t = await startTestPlatform({ api: true, worker: true });
  packId = (await registerMiniPack(t.url, t.keys[Role.OPERATOR])).id;
  client = createClient({
    url: t.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${t.keys[Role.VIEWER]}` },
    retryAttempts: 0,
  });
}, 240_000);
afterAll(async () => {
  await client?.dispose();
  await t?.stop();
});

interface Progress {
  status: string;
  iteration: number;
  stats: { propIct: number } | null;
}

/** Every message of one subscription until it completes or errs. */
function collect<T>(query: string, variables: Record<string, unknown> = {}) {
  const messages: T[] = [];
  let first!: () => void;
  const started = new Promise<void>((resolveFirst) => (first = resolveFirst));
  const ended = new Promise<{ completed: boolean; error?: unknown }>((resolveEnd) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: ({ data, errors }) => {
          if (errors) resolveEnd({ completed: false, error: errors });
          else messages.push(data as T);
          first();
        },
        error: (error) => resolveEnd({ completed: false, error }),
        complete: () => resolveEnd({ completed: true }),
      },
    );
  });
  return { messages, started, ended };
}

const startRun = async (input: Record<string, unknown>) => {
  const response = await graphql(
    t.url,
    t.keys[Role.OPERATOR],
    'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id status } }',
    {
      input: { modelPackId: packId, numIdentities: 4, iterations: 2, seed: '5', batchSize: 4, ...input },
    },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.startLangevinRun as { id: string; status: string };
};
const runRow = (id: string) => t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } });
const progressQuery = 'subscription($runId: ID!) { runProgress(runId: $runId) { status iteration stats { propIct } } }';

describe('runProgress', () => {
  it(
    'sends a finished run its final state with the latest statistics, then completes',
    { timeout: 180_000 },
    async () => {
      const run = await startRun({});
      await waitFor(async () => (await runRow(run.id)).status === RunStatus.SUCCEEDED, 120_000, 'the run to succeed');
      const progress = collect<{ runProgress: Progress }>(progressQuery, { runId: run.id });
      expect(await progress.ended).toEqual({ completed: true });
      const last = await t.platform.database.prisma.runIteration.findFirstOrThrow({
        where: { runId: run.id },
        orderBy: { iteration: 'desc' },
      });
      expect(progress.messages).toEqual([
        {
          runProgress: {
            status: 'SUCCEEDED',
            iteration: 2,
            stats: { propIct: (last.stats as { propIct: number }).propIct },
          },
        },
      ]);
    },
  );

  it(
    'starts with the current state of a live run, then its events in order, and completes after the final status',
    { timeout: 180_000 },
    async () => {
      const run = await startRun({ iterations: 6, seed: '6' });
      const progress = collect<{ runProgress: Progress }>(progressQuery, { runId: run.id });
      expect(await progress.ended).toEqual({ completed: true });
      const [snapshot, ...rest] = progress.messages.map((m) => m.runProgress);
      expect(['QUEUED', 'RUNNING']).toContain(snapshot!.status);
      const iterations = [
        ...(snapshot!.stats ? [snapshot!.iteration] : []),
        ...rest.filter((e) => e.stats).map((e) => e.iteration),
      ];
      expect(iterations).toEqual(Array.from({ length: iterations.length }, (_, i) => 6 - iterations.length + 1 + i));
      expect(iterations.at(-1)).toBe(6);
      expect(rest.at(-1)).toMatchObject({ status: 'SUCCEEDED', stats: null });
    },
  );

  it('answers an unknown or malformed run id with an error, not silence', async () => {
    const unknown = collect(progressQuery, { runId: '00000000-0000-4000-8000-000000000000' });
    const outcome = await unknown.ended;
    expect(outcome.completed).toBe(false);
    expect(JSON.stringify(outcome.error)).toContain('NOT_FOUND');
    const malformed = await collect(progressQuery, { runId: 'nope' }).ended;
    expect(JSON.stringify(malformed.error)).toContain('BAD_USER_INPUT');
  });
});

describe('runUpdated', () => {
  it(
    'hears every status change: created, running, succeeded, failed, cancelled and a failure to enqueue',
    { timeout: 300_000 },
    async () => {
      const updates = collect<{ runUpdated: { runId: string; status: string } }>(
        'subscription { runUpdated { runId status } }',
      );
      // The subscription is live once the server has answered something on the socket; a query over it shows that.
      await new Promise<void>((resolveReady, reject) =>
        client.subscribe(
          { query: '{ runs(first: 0) { totalCount } }' },
          { next: () => undefined, error: reject, complete: resolveReady },
        ),
      );
      const statusesOf = (id: string) =>
        updates.messages.filter((m) => m.runUpdated.runId === id).map((m) => m.runUpdated.status);

      const succeeded = await startRun({ seed: '7' });
      const failed = await startRun({ timestep: 1e30, iterations: 5, seed: '8' });
      const cancelled = await startRun({ iterations: 400, seed: '9' });
      await waitFor(
        async () => (await runRow(cancelled.id)).status === RunStatus.RUNNING,
        120_000,
        'the run to be cancelled to start',
      );
      await graphql(t.url, t.keys[Role.OPERATOR], 'mutation($id: ID!) { cancelRun(id: $id) { id } }', {
        id: cancelled.id,
      });
      await waitFor(
        async () =>
          statusesOf(cancelled.id).includes('CANCELLED') &&
          statusesOf(failed.id).includes('FAILED') &&
          statusesOf(succeeded.id).includes('SUCCEEDED'),
        180_000,
        'the three runs to end',
      );

      // With the queue closed, the run is created and then fails to be queued.
      await t.platform.queue.close();
      const unqueued = await startRun({ seed: '10' });
      expect(unqueued.status).toBe('FAILED');
      await waitFor(async () => statusesOf(unqueued.id).includes('FAILED'), 60_000, 'the failure to enqueue');

      expect(statusesOf(succeeded.id)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
      expect(statusesOf(failed.id)).toEqual(['QUEUED', 'RUNNING', 'FAILED']);
      expect(statusesOf(cancelled.id)).toEqual(['QUEUED', 'RUNNING', 'CANCELLED']);
      expect(statusesOf(unqueued.id)).toEqual(['QUEUED', 'FAILED']);
    },
  );
});
