import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOutbox } from '../../src/core/lineage/outbox.js';
import { packageRoot } from '../../src/core/paths.js';
import { prismaSql, writeRunStatus } from '../../src/core/runs/runStatusWriter.js';
import type { RunId } from '../../src/core/ids/ids.js';
import { Role, RunKind, RunStatus } from '../../src/generated/prisma/enums.js';
import { graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

interface ReceivedEvent {
  eventType: string;
  eventTime: string;
  run: { runId: string; facets: Record<string, Record<string, unknown>> };
  job: { name: string };
  inputs: Array<{ name: string }>;
  outputs: Array<{ name: string; facets?: Record<string, Record<string, unknown>> }>;
}

/** A lineage backend as far as a producer can tell: it answers 200 to POST /api/v1/lineage and keeps the bodies. */
class Receiver {
  readonly events: ReceivedEvent[] = [];
  /** Events it answers 500 to, as a backend that rejects one event would. */
  refuse: ((event: ReceivedEvent) => boolean) | undefined;
  private server: Server | undefined;
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/api/v1/lineage') {
          res.writeHead(404).end();
          return;
        }
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedEvent;
        if (this.refuse?.(event)) {
          res.writeHead(500).end();
          return;
        }
        this.events.push(event);
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const schemaDir = join(packageRoot, 'schema', 'openlineage', '2-0-2');
const readSchema = (file: string) => JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as { $id: string };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const eventSchema = readSchema('OpenLineage.json');
const errorFacetSchema = readSchema('ErrorMessageRunFacet.json');
const parentFacetSchema = readSchema('ParentRunFacet.json');
ajv.addSchema([eventSchema, errorFacetSchema, parentFacetSchema]);
const validateEvent = ajv.getSchema(eventSchema.$id)!;
const validateErrorFacet = ajv.getSchema(`${errorFacetSchema.$id}#/$defs/ErrorMessageRunFacet`)!;
const validateParentFacet = ajv.getSchema(`${parentFacetSchema.$id}#/$defs/ParentRunFacet`)!;

const receiver = new Receiver();
let t: TestPlatform;
let packId: string;

beforeAll(async () => {
  // Bind once to learn a free port, then go down: the platform starts with its endpoint unreachable.
  await receiver.up();
  await receiver.down();
  t = await startTestPlatform(
    { api: true, worker: true },
    {
      OPENLINEAGE_URL: `http://127.0.0.1:${receiver.port}/api/v1/lineage`,
      OPENLINEAGE_RETRY_MS: '100',
      OPENLINEAGE_MAX_RETRY_MS: '1000',
    },
  );
  packId = (await registerMiniPack(t.url, t.keys[Role.OPERATOR])).id;
}, 180_000);
afterAll(async () => {
  await t?.stop();
  await receiver.down();
});

const outbox = (runId: string) =>
  t.platform.database.prisma.lineageOutbox.findMany({ where: { runId }, orderBy: { id: 'asc' } });

/** A run row with no job, moved through statuses by the one status writer, as a worker would. */
async function moveRun(
  parentRunId: string | null,
  statuses: Array<[RunStatus, { error?: string }]>,
  parameters: Record<string, number | boolean> = { numVariations: 2 },
): Promise<string> {
  const prisma = t.platform.database.prisma;
  const run = await prisma.run.create({
    data: {
      kind: RunKind.DISPERSION,
      parameters,
      seed: 5n,
      modelPackId: packId,
      parentRunId,
      totalIterations: 3,
      codeVersion: 'test',
      workerHost: 'test-host',
      executionProvider: 'cpu',
    },
  });
  for (const [status, fields] of statuses) {
    await prisma.$transaction((tx) => writeRunStatus(prismaSql(tx), run.id as RunId, status, { fields }));
  }
  return run.id;
}

describe('OpenLineage events', () => {
  it('reach an endpoint that is down for part of the run once each, in order, valid against the schema', async () => {
    const prisma = t.platform.database.prisma;
    const started = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }',
      { input: { modelPackId: packId, numIdentities: 6, iterations: 6, checkpointEvery: 2, seed: '11', batchSize: 4 } },
    );
    expect(started.errors).toBeUndefined();
    const runId: string = started.data!.startLangevinRun.id;

    // While the endpoint is down the run goes on: it checkpoints, and START waits in the outbox, retried.
    await waitFor(
      async () => (await outbox(runId)).some((row) => row.eventType === 'RUNNING'),
      120_000,
      'a checkpoint event while the endpoint is down',
    );
    const waiting = await outbox(runId);
    expect(waiting[0]!.eventType).toBe('START');
    expect(waiting[0]!.deliveredAt).toBeNull();
    expect(waiting[0]!.attempts).toBeGreaterThan(0);
    expect(waiting[0]!.lastError).toBeTruthy();
    expect(receiver.events).toHaveLength(0);

    await receiver.up();
    await waitFor(
      async () => (await prisma.run.findUniqueOrThrow({ where: { id: runId } })).status === RunStatus.SUCCEEDED,
      180_000,
      'the run to succeed',
    );
    const failed = await moveRun(runId, [
      [RunStatus.RUNNING, {}],
      [RunStatus.FAILED, { error: 'shard 0 failed at iteration 2: diverged' }],
    ]);
    const aborted = await moveRun(runId, [
      [RunStatus.RUNNING, {}],
      [RunStatus.CANCELLED, {}],
    ]);
    await waitFor(
      async () => (await prisma.lineageOutbox.count({ where: { deliveredAt: null } })) === 0,
      60_000,
      'every event to be delivered',
    );

    for (const id of [runId, failed, aborted]) {
      const written = (await outbox(id)).map((row) => row.payload as unknown as ReceivedEvent);
      const received = receiver.events.filter((event) => event.run.runId === id);
      expect(received).toEqual(written);
    }
    const types = (id: string) => receiver.events.filter((e) => e.run.runId === id).map((e) => e.eventType);
    expect(types(runId)).toEqual(['START', 'RUNNING', 'RUNNING', 'COMPLETE']);
    expect(types(failed)).toEqual(['START', 'FAIL']);
    expect(types(aborted)).toEqual(['START', 'ABORT']);
    expect(receiver.events).toHaveLength(8);

    for (const event of receiver.events) {
      expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true);
    }
    const runEvents = receiver.events.filter((e) => e.run.runId === runId);
    const pack = await prisma.modelPack.findUniqueOrThrow({ where: { id: packId } });
    expect(runEvents[0]!.inputs.map((input) => input.name)).toEqual([`modelpacks/${pack.digest}`]);
    expect(runEvents[0]!.outputs.map((output) => output.name)).toEqual([`runs/${runId}/identities`]);
    expect(runEvents[0]!.run.facets.brownian_execution).toMatchObject({
      modelPackSha256: pack.digest,
      executionProvider: 'cpu',
    });
    expect(runEvents[0]!.run.facets.brownian_parameters).toMatchObject({ seed: '11', totalIterations: 6 });
    expect(runEvents.slice(1, 3).map((e) => e.run.facets.brownian_checkpoint)).toEqual([
      expect.objectContaining({ iteration: 2 }),
      expect.objectContaining({ iteration: 4 }),
    ]);

    const fail = receiver.events.find((e) => e.eventType === 'FAIL')!;
    expect(validateErrorFacet(fail.run.facets.errorMessage), JSON.stringify(validateErrorFacet.errors)).toBe(true);
    expect(fail.run.facets.errorMessage!.message).toBe('shard 0 failed at iteration 2: diverged');
    expect(validateParentFacet(fail.run.facets.parent), JSON.stringify(validateParentFacet.errors)).toBe(true);
    expect(fail.run.facets.parent!.run).toEqual({ runId });
    expect(fail.inputs.map((input) => input.name)).toContain(`runs/${runId}/identities`);

    // Freezing the run into a dataset is an event too: the run's identities in, the dataset out.
    const created = await graphql(
      t.url,
      t.keys[Role.OPERATOR],
      'mutation($r: [ID!]!) { createDataset(name: "lineage", runIds: $r) { id digest } }',
      { r: [runId] },
    );
    expect(created.errors).toBeUndefined();
    const dataset = created.data!.createDataset as { id: string; digest: string };
    const datasetEvent = await waitFor(
      async () => receiver.events.find((e) => e.run.runId === dataset.id),
      60_000,
      'the dataset event',
    );
    expect(validateEvent(datasetEvent), JSON.stringify(validateEvent.errors)).toBe(true);
    expect(datasetEvent.eventType).toBe('COMPLETE');
    expect(datasetEvent.job.name).toBe('brownian.create_dataset');
    expect(datasetEvent.inputs.map((input) => input.name)).toEqual([`runs/${runId}/identities`]);
    expect(datasetEvent.outputs).toEqual([
      expect.objectContaining({
        name: `datasets/${dataset.id}`,
        facets: { brownian_digest: expect.objectContaining({ sha256: dataset.digest }) },
      }),
    ]);
    expect(datasetEvent.run.facets.brownian_dataset).toMatchObject({ name: 'lineage', identityCount: 6 });
    expect((await outbox(dataset.id)).map((row) => row.eventType)).toEqual(['COMPLETE']);
  }, 400_000);

  it('an event the endpoint refuses holds back only its own run', async () => {
    const prisma = t.platform.database.prisma;
    receiver.refuse = (event) =>
      event.run.facets.brownian_parameters?.parameters !== undefined &&
      (event.run.facets.brownian_parameters.parameters as { refused?: boolean }).refused === true;
    const blocked = await moveRun(
      null,
      [
        [RunStatus.RUNNING, {}],
        [RunStatus.FAILED, { error: 'refused' }],
      ],
      { refused: true },
    );
    const other = await moveRun(null, [
      [RunStatus.RUNNING, {}],
      [RunStatus.CANCELLED, {}],
    ]);
    const types = (id: string) => receiver.events.filter((e) => e.run.runId === id).map((e) => e.eventType);
    await waitFor(async () => types(other).length === 2, 60_000, "the other run's events");
    expect(types(other)).toEqual(['START', 'ABORT']);
    const waiting = await outbox(blocked);
    expect(waiting.map((row) => [row.eventType, row.deliveredAt])).toEqual([
      ['START', null],
      ['FAIL', null],
    ]);
    expect(waiting[0]!.attempts).toBeGreaterThan(0);
    expect(waiting[1]!.attempts).toBe(0);
    expect(types(blocked)).toEqual([]);

    receiver.refuse = undefined;
    await waitFor(async () => types(blocked).length === 2, 60_000, "the refused run's events");
    expect(types(blocked)).toEqual(['START', 'FAIL']);
    expect(await prisma.lineageOutbox.count({ where: { runId: blocked, deliveredAt: null } })).toBe(0);
  }, 180_000);

  it('prunes delivered events past the retention, and undelivered ones too where no endpoint is configured', async () => {
    const prisma = t.platform.database.prisma;
    // The endpoint refuses everything meanwhile, so the dispatcher cannot deliver the undelivered row.
    receiver.refuse = () => true;
    try {
      const old = new Date(Date.now() - 200 * 3_600_000);
      const row = (data: { deliveredAt: Date | null; createdAt: Date }) =>
        prisma.lineageOutbox.create({
          data: { runId: randomUUID(), eventType: 'START', payload: { pruned: true }, ...data },
        });
      const oldDelivered = await row({ deliveredAt: old, createdAt: old });
      const oldUndelivered = await row({ deliveredAt: null, createdAt: old });
      const recentDelivered = await row({ deliveredAt: new Date(), createdAt: old });
      const left = async () =>
        (
          await prisma.lineageOutbox.findMany({
            where: { id: { in: [oldDelivered.id, oldUndelivered.id, recentDelivered.id] } },
            orderBy: { id: 'asc' },
          })
        ).map((r) => r.id);
      const before = await prisma.lineageOutbox.count();
      expect(await pruneOutbox(t.platform.database.pool, 168, false)).toBe(1);
      expect(await left()).toEqual([oldUndelivered.id, recentDelivered.id]);
      expect(await prisma.lineageOutbox.count()).toBe(before - 1);
      expect(await pruneOutbox(t.platform.database.pool, 168, true)).toBe(1);
      expect(await left()).toEqual([recentDelivered.id]);
      await prisma.lineageOutbox.delete({ where: { id: recentDelivered.id } });
    } finally {
      receiver.refuse = undefined;
    }
  });

  it('the schema check can fail: an event without its producer is refused', () => {
    const event = {
      eventType: 'START',
      eventTime: new Date().toISOString(),
      schemaURL: 'https://x/y',
      run: { runId: 'x' },
    };
    expect(validateEvent(event)).toBe(false);
  });
});
