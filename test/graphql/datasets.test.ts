import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { canonicalJson } from '../../src/core/packs/manifest.js';
import { packageRoot } from '../../src/core/paths.js';
import { Role, RunStatus } from '../../src/generated/prisma/enums.js';
import { encodeRecord } from '../../services/worker/src/exports/recordIo.js';
import { readRecordIo, readTar } from '../support/archives.js';
import { errorCode, graphql } from '../support/graphqlClient.js';
import { registerMiniPack } from '../support/miniPack.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { waitFor } from '../support/workerProcess.js';

let t: TestPlatform;
let langevinId: string;
let dispersionId: string;
let dataset: { id: string; digest: string; identityCount: number; sampleCount: number; manifestUrl: string };
let manifest: {
  format: string;
  identities: Array<{
    label: number;
    id: string;
    sha256: string;
    samples: Array<{ id: string; runId: string; variation: number; sha256: string }>;
  }>;
};

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const operate = (query: string, variables: Record<string, unknown> = {}) =>
  graphql(t.url, t.keys[Role.OPERATOR], query, variables);
const runStatus = async (id: string) =>
  (await t.platform.database.prisma.run.findUniqueOrThrow({ where: { id } })).status;

beforeAll(async () => {
  // Checkpoints every 3 images: each export below saves spool parts on its way (test/exports/ kills one).
  t = await startTestPlatform({ api: true, worker: true }, { BROWNIAN_EXPORT_CHECKPOINT_IMAGES: '3' });
  const pack = await registerMiniPack(t.url, t.keys[Role.OPERATOR]);
  const langevin = await operate('mutation($input: LangevinRunInput!) { startLangevinRun(input: $input) { id } }', {
    input: { modelPackId: pack.id, numIdentities: 4, iterations: 2, seed: '8', batchSize: 8 },
  });
  langevinId = langevin.data!.startLangevinRun.id;
  await waitFor(async () => (await runStatus(langevinId)) === RunStatus.SUCCEEDED, 120_000, 'the Langevin run');
  const dispersion = await operate(
    'mutation($input: DispersionRunInput!) { startDispersionRun(input: $input) { id } }',
    {
      input: { parentRunId: langevinId, numVariations: 3, iterations: 1, seed: '9', shardSize: 3, batchSize: 8 },
    },
  );
  dispersionId = dispersion.data!.startDispersionRun.id;
  await waitFor(async () => (await runStatus(dispersionId)) === RunStatus.SUCCEEDED, 120_000, 'the Dispersion run');
}, 240_000);
afterAll(async () => t?.stop());

async function exportAndDownload(
  format: string,
  options: Record<string, unknown>,
): Promise<{ tar: Buffer; sha256: string; total: number }> {
  const started = await operate(
    'mutation($d: ID!, $f: ExportFormat!, $o: ExportOptionsInput) { exportDataset(datasetId: $d, format: $f, options: ' +
      '$o) { id total status } }',
    {
      d: dataset.id,
      f: format,
      o: options,
    },
  );
  expect(started.errors).toBeUndefined();
  const id = started.data!.exportDataset.id;
  const progress = await exportProgress(id);
  // The export as it was when the subscription began, then its changes, ending with SUCCEEDED and every image.
  expect(progress.at(-1)).toMatchObject({ status: 'SUCCEEDED', error: null });
  expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
  expect(progress.slice(0, -1).every((p) => p.status === 'QUEUED' || p.status === 'RUNNING')).toBe(true);
  const done = await waitFor(
    async () => {
      const r = await graphql(
        t.url,
        t.keys[Role.VIEWER],
        'query($id: ID!) { datasetExport(id: $id) { status done total sha256 size downloadUrl error } }',
        { id },
      );
      const row = r.data!.datasetExport;
      return ['SUCCEEDED', 'FAILED'].includes(row.status) ? row : undefined;
    },
    120_000,
    `the ${format} export`,
  );
  expect(done.error).toBeNull();
  expect(done.status).toBe('SUCCEEDED');
  expect(done.done).toBe(done.total);
  const tar = Buffer.from(await (await fetch(done.downloadUrl)).arrayBuffer());
  expect(tar.length).toBe(done.size);
  expect(sha256(tar)).toBe(done.sha256);
  return { tar, sha256: done.sha256, total: done.total };
}

/** Every exportProgress message over a real WebSocket, until the stream completes. */
async function exportProgress(
  id: string,
): Promise<Array<{ status: string; done: number; total: number; error: string | null }>> {
  const client = createClient({
    url: t.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${t.keys[Role.VIEWER]}` },
    retryAttempts: 0,
  });
  const messages: Array<{ status: string; done: number; total: number; error: string | null }> = [];
  try {
    await new Promise<void>((resolveDone, reject) => {
      client.subscribe<{ exportProgress: (typeof messages)[number] }>(
        { query: 'subscription($id: ID!) { exportProgress(id: $id) { status done total error } }', variables: { id } },
        {
          next: ({ data, errors }) =>
            errors ? reject(new Error(JSON.stringify(errors))) : messages.push(data!.exportProgress),
          error: reject,
          complete: resolveDone,
        },
      );
    });
  } finally {
    await client.dispose();
  }
  return messages;
}

function expectManifestAndDigest(members: Array<{ name: string; bytes: Buffer }>): void {
  const manifestMember = members.find((m) => m.name === 'manifest.json')!;
  expect(sha256(manifestMember.bytes)).toBe(dataset.digest);
  expect(members.find((m) => m.name === 'digest.txt')!.bytes.toString()).toBe(`${dataset.digest}\n`);
}

describe('createDataset', () => {
  it.each([
    [{ name: '', runIds: () => [dispersionId] }, 'name'],
    [{ name: 'x', runIds: () => [] }, 'runIds'],
    [{ name: 'x', runIds: () => ['nope'] }, 'runIds'],
    [{ name: 'x', runIds: () => ['00000000-0000-4000-8000-000000000000'] }, 'runIds'],
    [{ name: 'x', runIds: () => [dispersionId, dispersionId] }, 'runIds'],
  ])('refuses %j naming %s, and writes nothing', async (input, field) => {
    const before = await t.platform.database.prisma.dataset.count();
    const response = await operate('mutation($n: String!, $r: [ID!]!) { createDataset(name: $n, runIds: $r) { id } }', {
      n: input.name,
      r: input.runIds(),
    });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.field).toBe(field);
    expect(await t.platform.database.prisma.dataset.count()).toBe(before);
  });

  it('freezes a Dispersion run into identities with their samples, a manifest with every sha256, and its digest', async () => {
    const created = await operate(
      'mutation($r: [ID!]!) { createDataset(name: "first", runIds: $r) { id digest identityCount sampleCount ' +
        'manifestUrl runs { id kind parent { id } } } }',
      { r: [dispersionId] },
    );
    expect(created.errors).toBeUndefined();
    dataset = created.data!.createDataset;
    expect(dataset).toMatchObject({ identityCount: 4, sampleCount: 12 });
    expect(created.data!.createDataset.runs).toEqual([
      { id: dispersionId, kind: 'DISPERSION', parent: { id: langevinId } },
    ]);
    const text = await (await fetch(dataset.manifestUrl)).text();
    expect(sha256(text)).toBe(dataset.digest);
    manifest = JSON.parse(text);
    expect(canonicalJson(manifest)).toBe(text);
    const samples = await t.platform.database.prisma.sample.findMany({ where: { runId: dispersionId } });
    const identities = await t.platform.database.prisma.identity.findMany({
      where: { runId: langevinId },
      orderBy: { index: 'asc' },
    });
    expect(manifest.identities.map((i) => i.id)).toEqual(identities.map((i) => i.id));
    expect(manifest.identities.map((i) => i.sha256)).toEqual(identities.map((i) => i.imageSha256));
    for (const identity of manifest.identities) {
      expect(identity.samples.map((s) => s.variation)).toEqual([0, 1, 2]);
      for (const s of identity.samples) expect(s.sha256).toBe(samples.find((row) => row.id === s.id)!.imageSha256);
    }
    const listed = await graphql(
      t.url,
      t.keys[Role.VIEWER],
      '{ datasets(first: 5) { totalCount edges { node { id name digest } } } }',
    );
    expect(listed.data!.datasets.edges[0].node).toEqual({ id: dataset.id, name: 'first', digest: dataset.digest });
  });

  it('gives the same content the same digest', async () => {
    const again = await operate('mutation($r: [ID!]!) { createDataset(name: "again", runIds: $r) { digest } }', {
      r: [dispersionId],
    });
    expect(again.data!.createDataset.digest).toBe(dataset.digest);
  });
});

describe('exportDataset', () => {
  it('writes an ImageFolder tar of full images, one folder per identity, with the manifest and digest', async () => {
    const { tar, total } = await exportAndDownload('IMAGE_FOLDER', { crop: 'FULL', content: 'BOTH' });
    expect(total).toBe(16);
    const members = readTar(tar);
    const expected: string[] = [];
    for (const identity of manifest.identities) {
      const folder = `train/${String(identity.label).padStart(6, '0')}`;
      expected.push(
        `${folder}/identity.png`,
        ...identity.samples.map((s) => `${folder}/${s.runId}-${String(s.variation).padStart(5, '0')}.png`),
      );
    }
    expect(members.map((m) => m.name)).toEqual([...expected, 'manifest.json', 'digest.txt']);
    const hashes = manifest.identities.flatMap((i) => [i.sha256, ...i.samples.map((s) => s.sha256)]);
    expect(members.slice(0, 16).map((m) => sha256(m.bytes))).toEqual(hashes);
    expectManifestAndDigest(members);
  });

  it('writes WebDataset shards of aligned crops at the recognizer input size', async () => {
    const { tar } = await exportAndDownload('WEBDATASET', { crop: 'ALIGNED', content: 'SAMPLES', shardSize: 5 });
    const members = readTar(tar);
    expect(members.map((m) => m.name)).toEqual([
      'shards/shard-000000.tar',
      'shards/shard-000001.tar',
      'shards/shard-000002.tar',
      'manifest.json',
      'digest.txt',
    ]);
    const inner = members.slice(0, 3).flatMap((m) => readTar(m.bytes));
    const keys = Array.from({ length: 12 }, (_, k) => String(k).padStart(9, '0'));
    expect(inner.map((m) => m.name)).toEqual(keys.flatMap((key) => [`${key}.png`, `${key}.cls`, `${key}.json`]));
    const pack = await t.platform.database.prisma.modelPack.findFirstOrThrow();
    const { outputSize } = (pack.manifest as { alignment: { outputSize: { width: number; height: number } } })
      .alignment;
    const samples = manifest.identities.flatMap((i) => i.samples.map((s) => ({ label: i.label, ...s })));
    samples.forEach((sample, k) => {
      const png = PNG.sync.read(inner[3 * k]!.bytes);
      expect([png.width, png.height]).toEqual([outputSize.width, outputSize.height]);
      expect(inner[3 * k + 1]!.bytes.toString()).toBe(String(sample.label));
      expect(JSON.parse(inner[3 * k + 2]!.bytes.toString())).toMatchObject({
        label: sample.label,
        sampleId: sample.id,
        sha256: sample.sha256,
      });
    });
    expectManifestAndDigest(members);
  });

  it("writes an InsightFace RecordIO set that reads back with the manifest's images and labels", async () => {
    const { tar } = await exportAndDownload('INSIGHTFACE_REC', { crop: 'FULL', content: 'SAMPLES' });
    const members = readTar(tar);
    expect(members.map((m) => m.name)).toEqual(['train.rec', 'train.idx', 'property', 'manifest.json', 'digest.txt']);
    const rec = members[0]!.bytes;
    const records = readRecordIo(rec);
    const samples = manifest.identities.flatMap((i) => i.samples.map((s) => ({ label: i.label, ...s })));
    const n = samples.length;
    const classes = manifest.identities.length;
    expect(records).toHaveLength(1 + n + classes);
    expect(records[0]).toMatchObject({ flag: 2, labels: [n + 1, n + 1 + classes] });
    samples.forEach((sample, k) => {
      const record = records[1 + k]!;
      expect(record.flag).toBe(0);
      expect(record.label).toBe(sample.label);
      expect(record.id).toBe(BigInt(1 + k));
      expect(sha256(record.body)).toBe(sample.sha256);
    });
    manifest.identities.forEach((identity, c) => {
      const first = 1 + 3 * c;
      expect(records[1 + n + c]!.labels).toEqual([first, first + 3]);
    });
    const index = members[1]!.bytes
      .toString()
      .trim()
      .split('\n')
      .map((line) => line.split('\t').map(Number));
    expect(index.map(([idx]) => idx)).toEqual(Array.from({ length: 1 + n + classes }, (_, k) => k));
    expect(index.map(([, offset]) => offset)).toEqual(records.map((r) => r.offset));
    const image = PNG.sync.read(records[1]!.body);
    expect(members[2]!.bytes.toString()).toBe(`${classes},${image.height},${image.width}\n`);
    expectManifestAndDigest(members);
  });

  it('refuses an unknown dataset and a bad shard size', async () => {
    const unknown = await operate(
      'mutation { exportDataset(datasetId: "00000000-0000-4000-8000-000000000000", format: IMAGE_FOLDER) { id } }',
    );
    expect(unknown.errors![0]!.extensions!.field).toBe('datasetId');
    const bad = await operate(
      'mutation($d: ID!) { exportDataset(datasetId: $d, format: WEBDATASET, options: { shardSize: 0 }) { id } }',
      { d: dataset.id },
    );
    expect(bad.errors![0]!.extensions!.field).toBe('options.shardSize');
  });
});

describe('brownian dataset', () => {
  const cli = async (...args: string[]) =>
    (
      await promisify(execFile)(process.execPath, [join(packageRoot, 'bin', 'brownian.js'), 'dataset', ...args], {
        env: { ...process.env, BROWNIAN_URL: t.url, BROWNIAN_API_KEY: t.keys[Role.OPERATOR] },
      })
    ).stdout;

  it('creates, exports with progress and downloads a dataset, checking the sha256', async () => {
    const created = await cli('create', 'from the cli', dispersionId, langevinId);
    const [, id, identities, samples, digest] =
      /dataset from the cli: id (\S+), (\d+) identities, (\d+) samples, digest (\w+)/.exec(created)!;
    expect([Number(identities), Number(samples), digest]).toEqual([4, 12, expect.stringMatching(/^[0-9a-f]{64}$/)]);
    const dir = await mkdtemp(join(tmpdir(), 'brownian-export-'));
    const out = join(dir, 'set.tar');
    const exported = await cli('export', id!, '--format', 'WEBDATASET', '--content', 'BOTH', '--out', out);
    const [, exportId, sha] = /export (\S+) SUCCEEDED: 16 images, \d+ bytes, sha256 (\w+)/.exec(exported)!;
    expect(sha256(await readFile(out))).toBe(sha);
    const again = join(dir, 'again.tar');
    expect(await cli('download', exportId!, '--out', again)).toContain(`sha256 ${sha}`);
    expect(sha256(await readFile(again))).toBe(sha);
  });
});

describe('RecordIO records holding the magic number', () => {
  it('are split at the magic with continuation flags and read back whole', () => {
    const payload = Buffer.alloc(24 + 16);
    payload.writeFloatLE(7, 4);
    payload.writeUInt32LE(0xced7230a, 24);
    payload.writeUInt32LE(0xced7230a, 32);
    payload.write('ab', 36);
    const bytes = encodeRecord(payload);
    const flags: number[] = [];
    for (let at = 0; at < bytes.length;) {
      const word = bytes.readUInt32LE(at + 4);
      flags.push(word >>> 29);
      at += 8 + Math.ceil((word & 0x1fffffff) / 4) * 4;
    }
    expect(flags).toEqual([1, 2, 3]);
    const [record] = readRecordIo(bytes);
    expect(record!.label).toBe(7);
    expect(
      Buffer.concat([Buffer.alloc(24), record!.body])
        .subarray(24)
        .equals(payload.subarray(24)),
    ).toBe(true);
  });
});
