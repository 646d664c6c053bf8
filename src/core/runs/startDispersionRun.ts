import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../db/client.js';
import { seedToColumn } from '../db/seeds.js';
import { RunKind, RunStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';
import { isUuid, type RunId, type ShardId } from '../ids/ids.js';
import type { JobQueue } from '../queue/jobQueue.js';
import type { ObjectStore } from '../store/objectStore.js';
import { dispersionParams, validateDispersionParams, type DispersionParams } from './dispersionParams.js';
import type { ParameterProblem } from './parameterProblems.js';
import { parseSeed } from './seed.js';
import { failOrCancel } from './runLifecycle.js';
import { publishRunEventInTransaction, runStatusEvent } from '../events/runEvents.js';
import { jsonColumn } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';
import type { DispersionDefaults } from '../packs/manifest.js';
import {
  decodeStoredConstantInputs,
  decodeStoredDispersionSettings,
  type StoredDispersionSettings,
} from '../packs/storedManifest.js';
import { packNotReady } from '../packs/packLifecycle.js';
import { checkGeneratorInputs, decodeGeneratorInputs, type GeneratorInputValue } from './generatorInputs.js';
import {
  CovariateSource,
  defaultDispersionCheckpointEvery,
  defaultPrincipalDirections,
  defaultPrincipalSamples,
  defaultShardSize,
  type DispersionRunParameters,
  type RunCovariates,
} from './dispersionRunParameters.js';

/** What a caller asks for; every field but the parent is optional. Field names are the API's. */
export interface DispersionRunRequest {
  parentRunId: string;
  identityIds?: string[];
  numVariations?: number;
  iterations?: number;
  embeddingCoefficient?: number;
  latentCoefficient?: number;
  latentRadius?: number;
  globalCoefficient?: number;
  randomForce?: number;
  viscosity?: number;
  timestep?: number;
  initialNoise?: number;
  seed?: string;
  shardSize?: number;
  batchSize?: number;
  checkpointEvery?: number;
  initialLatents?: string;
  covariates?: CovariateSource;
  principalDirections?: number;
  generatorInputs?: GeneratorInputValue[];
}

export interface DispersionRunServices {
  prisma: PrismaClient;
  store: ObjectStore;
  queue: JobQueue;
}

/** Who asked, for the audit log written with the run. */
export interface Requester {
  apiKeyId: string | null;
  operation: string;
}

export type StartResult = { run: db.Run; problems?: undefined } | { run?: undefined; problems: ParameterProblem[] };

const maxVariations = 100_000;
const maxShardSize = 100_000;

/** Input names of the parameters whose API name differs from DispersionParams'. */
const inputField: Partial<Record<keyof DispersionParams, string>> = { variations: 'numVariations' };

function positiveInteger(
  value: number | undefined,
  fallback: number,
  field: string,
  max: number,
  problems: ParameterProblem[],
): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1 || resolved > max)
    problems.push({ field, message: `must be an integer from 1 to ${max}` });
  return resolved;
}

function checkSeed(value: string | undefined, problems: ParameterProblem[]): bigint {
  if (value === undefined) return randomBytes(8).readBigUInt64LE();
  try {
    return parseSeed(value);
  } catch (error) {
    problems.push({ field: 'input.seed', message: (error as Error).message });
    return 0n;
  }
}

/** The parent must be a finished Langevin run; its identities are the references. */
async function checkParent(prisma: PrismaClient, parentRunId: string, problems: ParameterProblem[]) {
  const field = 'input.parentRunId';
  if (!isUuid(parentRunId)) {
    problems.push({ field, message: `"${parentRunId}" is not a valid id` });
    return null;
  }
  const parent = await prisma.run.findUnique({
    where: { id: parentRunId.toLowerCase() },
    include: { modelPack: true },
  });
  if (!parent) problems.push({ field, message: `no run ${parentRunId}` });
  else if (parent.kind !== RunKind.LANGEVIN)
    problems.push({ field, message: `run ${parent.id} is a ${parent.kind} run, not LANGEVIN` });
  else if (parent.status !== RunStatus.SUCCEEDED)
    problems.push({ field, message: `run ${parent.id} is ${parent.status}, not SUCCEEDED` });
  else return parent;
  return null;
}

/** The parent's identity indices the run covers, in the caller's order. */
async function checkIdentities(
  prisma: PrismaClient,
  parent: db.Run,
  ids: string[] | undefined,
  problems: ParameterProblem[],
): Promise<number[]> {
  const field = 'input.identityIds';
  if (ids === undefined) {
    const rows = await prisma.identity.findMany({
      where: { runId: parent.id },
      select: { index: true },
      orderBy: { index: 'asc' },
    });
    return rows.map((row) => row.index);
  }
  if (ids.length === 0) {
    problems.push({ field, message: 'must name at least one identity' });
    return [];
  }
  const malformed = ids.find((id) => !isUuid(id));
  if (malformed !== undefined) {
    problems.push({ field, message: `"${malformed}" is not a valid id` });
    return [];
  }
  const wanted = ids.map((id) => id.toLowerCase());
  if (new Set(wanted).size !== wanted.length) {
    problems.push({ field, message: 'names an identity more than once' });
    return [];
  }
  const rows = await prisma.identity.findMany({
    where: { runId: parent.id, id: { in: wanted } },
    select: { id: true, index: true },
  });
  const indexOf = new Map(rows.map((row) => [row.id, row.index]));
  const missing = wanted.find((id) => !indexOf.has(id));
  if (missing !== undefined) {
    problems.push({ field, message: `identity ${missing} is not an identity of run ${parent.id}` });
    return [];
  }
  return wanted.map((id) => indexOf.get(id)!);
}

/** The parent's pack: its name and latent dimension (columns of its row) and the covariates its manifest ships. */
interface ParentPack {
  name: string;
  latentDim: number;
  settings: StoredDispersionSettings;
}

function checkCovariates(
  request: DispersionRunRequest,
  disco: boolean,
  pack: ParentPack,
  problems: ParameterProblem[],
): RunCovariates | null {
  const source = request.covariates ?? (disco ? CovariateSource.pack : undefined);
  if (request.principalDirections !== undefined && source !== CovariateSource.principalDirections) {
    problems.push({ field: 'input.principalDirections', message: 'needs covariates: PRINCIPAL_DIRECTIONS' });
  }
  if (source === undefined) return null;
  if (source === CovariateSource.pack) {
    const names = pack.settings.covariates.map((covariate) => covariate.name);
    if (names.length === 0) {
      problems.push({
        field: 'input.covariates',
        message: `model pack "${pack.name}" ships no covariate directions; use PRINCIPAL_DIRECTIONS for principal directions of W`,
      });
    }
    return { source, names, principalSamples: null };
  }
  const count = request.principalDirections ?? defaultPrincipalDirections;
  if (!Number.isInteger(count) || count < 1 || count > pack.latentDim) {
    problems.push({
      field: 'input.principalDirections',
      message: `must be an integer from 1 to the latent dimension ${pack.latentDim}`,
    });
  }
  return {
    source,
    names: Array.from({ length: count }, (_, i) => `pc${i + 1}`),
    principalSamples: defaultPrincipalSamples,
  };
}

/** Input, else the pack's own default, else the paper's; records which settings came from the pack. */
function resolveParams(
  request: DispersionRunRequest,
  packDefaults: DispersionDefaults,
): { params: DispersionParams; fromPack: string[] } {
  const fromPack: string[] = [];
  const pick = <K extends keyof DispersionDefaults>(field: K, value: number | undefined): number | undefined => {
    if (value !== undefined) return value;
    const fromManifest = packDefaults[field];
    if (fromManifest !== undefined) fromPack.push(field);
    return fromManifest;
  };
  const params = dispersionParams({
    iterations: request.iterations,
    variations: request.numVariations,
    embeddingCoefficient: pick('embeddingCoefficient', request.embeddingCoefficient),
    latentCoefficient: pick('latentCoefficient', request.latentCoefficient),
    latentRadius: pick('latentRadius', request.latentRadius),
    globalCoefficient: pick('globalCoefficient', request.globalCoefficient),
    randomForce: pick('randomForce', request.randomForce),
    viscosity: request.viscosity,
    timestep: pick('timestep', request.timestep),
    initialNoise: pick('initialNoise', request.initialNoise),
    batchSize: request.batchSize,
  });
  return { params, fromPack };
}

/**
 * Validates a Dispersion (or, with covariates, DisCo) run, then writes the run, its shards and the
 * audit entry in one transaction and queues one job per shard. Nothing is written or queued when
 * any field is invalid; every invalid field is reported.
 */
export async function startDispersionRun(
  services: DispersionRunServices,
  request: DispersionRunRequest,
  options: { disco: boolean; requester: Requester },
): Promise<StartResult> {
  const { prisma, store, queue } = services;
  const problems: ParameterProblem[] = [];
  const parent = await checkParent(prisma, request.parentRunId, problems);
  const identityIndices = parent ? await checkIdentities(prisma, parent, request.identityIds, problems) : [];
  if (parent && identityIndices.length === 0 && problems.length === 0) {
    problems.push({ field: 'input.parentRunId', message: `run ${parent.id} has no identities` });
  }
  // Variations run on the parent's pack, which must be READY like any pack a run starts on.
  const notReady = parent ? packNotReady(parent.modelPack) : null;
  if (notReady) problems.push({ field: 'input.parentRunId', message: `the parent run's ${notReady}` });
  const pack: ParentPack | null = parent
    ? {
        name: parent.modelPack.name,
        latentDim: parent.modelPack.latentDim,
        settings: decodeStoredDispersionSettings(parent.modelPack.manifest),
      }
    : null;
  const { params, fromPack } = resolveParams(request, pack?.settings.dispersion ?? {});
  if (params.variations > maxVariations)
    problems.push({ field: 'input.numVariations', message: `must be at most ${maxVariations}` });
  for (const problem of validateDispersionParams(params)) {
    problems.push({
      field: `input.${inputField[problem.field as keyof DispersionParams] ?? problem.field}`,
      message: problem.message,
    });
  }
  const shardSize = positiveInteger(request.shardSize, defaultShardSize, 'input.shardSize', maxShardSize, problems);
  const checkpointEvery = positiveInteger(
    request.checkpointEvery,
    defaultDispersionCheckpointEvery,
    'input.checkpointEvery',
    1_000_000,
    problems,
  );
  const seed = checkSeed(request.seed, problems);
  const covariates = pack ? checkCovariates(request, options.disco, pack, problems) : null;
  if (request.initialLatents !== undefined) {
    const size = await store.size(request.initialLatents);
    const expected = identityIndices.length * params.variations * (pack?.latentDim ?? 0) * 4;
    if (size === undefined)
      problems.push({ field: 'input.initialLatents', message: `no object ${request.initialLatents}` });
    else if (pack && size !== expected) {
      problems.push({
        field: 'input.initialLatents',
        message: `has ${size} bytes; ${identityIndices.length}×${params.variations}×${pack.latentDim} float32 latents need ${expected}`,
      });
    }
  }
  // Variations are faces of the parent's identities: seen through the parent's camera unless the input says otherwise.
  const generatorInputs = parent
    ? checkGeneratorInputs(
        request.generatorInputs,
        { name: parent.modelPack.name, constantInputs: decodeStoredConstantInputs(parent.modelPack.manifest) },
        'input.generatorInputs',
        problems,
        decodeGeneratorInputs(
          isRecord(parent.parameters) ? parent.parameters.generatorInputs : undefined,
          'parent.parameters.generatorInputs',
        ),
      )
    : {};
  if (problems.length > 0 || !parent) return { problems };

  const parameters: DispersionRunParameters = {
    identityIndices,
    shardSize,
    checkpointEvery,
    initialLatents: request.initialLatents ?? null,
    covariates,
    dispersion: params,
    packDefaults: fromPack,
    generatorInputs,
  };
  const shards: number[][] = [];
  for (let start = 0; start < identityIndices.length; start += shardSize)
    shards.push(identityIndices.slice(start, start + shardSize));
  const { run, shardRows } = await prisma.$transaction(async (tx) => {
    const run = await tx.run.create({
      data: {
        kind: covariates ? RunKind.DISCO : RunKind.DISPERSION,
        parameters: jsonColumn(parameters),
        seed: seedToColumn(seed),
        modelPackId: parent.modelPackId,
        parentRunId: parent.id,
        totalIterations: params.iterations,
        createdById: options.requester.apiKeyId,
      },
    });
    const shardRows = await tx.runShard.createManyAndReturn({
      data: shards.map((indices, index) => ({ runId: run.id, index, identityIndices: indices })),
    });
    // A new run is a status change too (to QUEUED): runUpdated subscribers hear of it at the commit.
    await publishRunEventInTransaction(tx, runStatusEvent(run));
    await tx.auditLogEntry.create({
      data: {
        apiKeyId: options.requester.apiKeyId,
        operation: options.requester.operation,
        target: run.id,
        details: jsonColumn({ input: { ...request } }),
      },
    });
    return { run, shardRows };
  });
  try {
    for (const shard of shardRows)
      await queue.enqueueShard({ runId: run.id as RunId, shardId: shard.id as ShardId, shardIndex: shard.index });
  } catch (error) {
    await queue.cancelRunJobs(run.id as RunId).catch(() => undefined);
    const failed = await failOrCancel(prisma, run.id as RunId, RunStatus.FAILED, {
      error: `could not be queued: ${(error as Error).message}`,
    });
    return { run: failed ?? run };
  }
  return { run };
}
