import type { PrismaClient } from '../db/client.js';
import { RunKind, RunStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';
import { isUuid } from '../ids/ids.js';
import { recordDatasetEvent } from '../lineage/outbox.js';
import type { ParameterProblem } from '../runs/parameterProblems.js';
import { prismaSql } from '../runs/runStatusWriter.js';
import type { ObjectStore } from '../store/objectStore.js';
import {
  datasetDigest,
  datasetFormat,
  manifestText,
  type DatasetManifest,
  type ManifestIdentity,
} from './datasetManifest.js';

export interface DatasetServices {
  prisma: PrismaClient;
  store: ObjectStore;
  /** Names the producer of the dataset's OpenLineage event. */
  codeVersion: string;
}

export type CreateDatasetResult =
  { dataset: db.Dataset; problems?: undefined } | { dataset?: undefined; problems: ParameterProblem[] };

const maxNameLength = 200;
const maxRuns = 1000;
const memberChunk = 5000;

type IdentityRow = Pick<db.Identity, 'id' | 'runId' | 'index' | 'imageSha256'>;
type SampleRow = Pick<db.Sample, 'id' | 'runId' | 'identityId' | 'variation' | 'imageSha256'>;

async function checkRuns(prisma: PrismaClient, runIds: string[], problems: ParameterProblem[]) {
  const field = 'runIds';
  if (runIds.length === 0 || runIds.length > maxRuns) {
    problems.push({ field, message: `must name from 1 to ${maxRuns} runs` });
    return [];
  }
  const malformed = runIds.find((id) => !isUuid(id));
  if (malformed !== undefined) {
    problems.push({ field, message: `"${malformed}" is not a valid id` });
    return [];
  }
  const ids = runIds.map((id) => id.toLowerCase());
  if (new Set(ids).size !== ids.length) {
    problems.push({ field, message: 'names a run more than once' });
    return [];
  }
  const runs = await prisma.run.findMany({
    where: { id: { in: ids } },
    include: { modelPack: { select: { digest: true } } },
  });
  const byId = new Map(runs.map((run) => [run.id, run]));
  for (const id of ids) {
    const run = byId.get(id);
    if (!run) problems.push({ field, message: `no run ${id}` });
    else if (run.status !== RunStatus.SUCCEEDED)
      problems.push({ field, message: `run ${id} is ${run.status}; only SUCCEEDED runs can be frozen` });
  }
  return ids.map((id) => byId.get(id)!).filter(Boolean);
}

/**
 * Identities ordered by (run, index) are labelled 0, 1, …; each carries its samples by (run, variation).
 * Identities of Langevin runs come whole; a Dispersion or DisCo run brings its samples and their identities.
 */
function buildManifest(
  runs: Awaited<ReturnType<typeof checkRuns>>,
  identities: IdentityRow[],
  samples: SampleRow[],
): DatasetManifest {
  const ordered = [...identities].sort((a, b) =>
    a.runId === b.runId ? a.index - b.index : a.runId < b.runId ? -1 : 1,
  );
  const samplesOf = new Map<string, SampleRow[]>();
  for (const sample of samples) {
    const list = samplesOf.get(sample.identityId) ?? [];
    list.push(sample);
    samplesOf.set(sample.identityId, list);
  }
  const manifestIdentities: ManifestIdentity[] = ordered.map((identity, label) => ({
    label,
    id: identity.id,
    runId: identity.runId,
    index: identity.index,
    sha256: identity.imageSha256,
    samples: (samplesOf.get(identity.id) ?? [])
      .sort((a, b) => (a.runId === b.runId ? a.variation - b.variation : a.runId < b.runId ? -1 : 1))
      .map((sample) => ({
        id: sample.id,
        runId: sample.runId,
        variation: sample.variation,
        sha256: sample.imageSha256,
      })),
  }));
  return {
    format: datasetFormat,
    runs: [...runs]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((run) => ({
        id: run.id,
        kind: run.kind,
        modelPackDigest: run.modelPack.digest,
        parentRunId: run.parentRunId,
      })),
    identities: manifestIdentities,
  };
}

/**
 * Freezes the identities and samples of finished runs into a named dataset: the manifest goes to
 * the store under its content address, then the dataset, its runs and its members are written in
 * one transaction with its OpenLineage event (docs/provenance.md). Nothing is written when any input is invalid.
 */
export async function createDataset(
  services: DatasetServices,
  input: { name: string; runIds: string[] },
  apiKeyId: string | null,
): Promise<CreateDatasetResult> {
  const { prisma, store } = services;
  const problems: ParameterProblem[] = [];
  const name = input.name.trim();
  if (name.length === 0 || name.length > maxNameLength)
    problems.push({ field: 'name', message: `must have 1 to ${maxNameLength} characters` });
  const runs = await checkRuns(prisma, input.runIds, problems);
  if (problems.length > 0) return { problems };

  const langevinIds = runs.filter((run) => run.kind === RunKind.LANGEVIN).map((run) => run.id);
  const variationIds = runs.filter((run) => run.kind !== RunKind.LANGEVIN).map((run) => run.id);
  const samples = await prisma.sample.findMany({
    where: { runId: { in: variationIds } },
    select: { id: true, runId: true, identityId: true, variation: true, imageSha256: true },
  });
  const identities = await prisma.identity.findMany({
    where: { OR: [{ runId: { in: langevinIds } }, { id: { in: [...new Set(samples.map((s) => s.identityId))] } }] },
    select: { id: true, runId: true, index: true, imageSha256: true },
  });
  if (identities.length === 0)
    return { problems: [{ field: 'runIds', message: 'the runs hold no identities or samples' }] };

  const manifest = buildManifest(runs, identities, samples);
  const digest = datasetDigest(manifest);
  const blob = await store.putContent(new TextEncoder().encode(manifestText(manifest)), 'application/json');
  const members: Array<Omit<db.DatasetMember, 'datasetId'>> = [];
  for (const identity of manifest.identities) {
    members.push({
      position: members.length,
      label: identity.label,
      identityId: identity.id,
      sampleId: null,
      imageSha256: identity.sha256,
    });
    for (const sample of identity.samples) {
      members.push({
        position: members.length,
        label: identity.label,
        identityId: identity.id,
        sampleId: sample.id,
        imageSha256: sample.sha256,
      });
    }
  }
  const dataset = await prisma.$transaction(
    async (tx) => {
      const row = await tx.dataset.create({
        data: {
          name,
          digest,
          manifestKey: blob.key,
          identityCount: manifest.identities.length,
          sampleCount: members.length - manifest.identities.length,
          createdById: apiKeyId,
          runs: { create: runs.map((run) => ({ runId: run.id })) },
        },
      });
      for (let start = 0; start < members.length; start += memberChunk) {
        await tx.datasetMember.createMany({
          data: members.slice(start, start + memberChunk).map((m) => ({ ...m, datasetId: row.id })),
        });
      }
      await tx.auditLogEntry.create({
        data: {
          apiKeyId,
          operation: 'createDataset',
          target: row.id,
          details: { name, runIds: runs.map((run) => run.id), digest },
        },
      });
      await recordDatasetEvent(prismaSql(tx), row.id, services.codeVersion);
      return row;
    },
    { timeout: 120_000 },
  );
  return { dataset };
}
