import { randomBytes } from 'node:crypto';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { recognizerDigestOf } from '../../galleries/recognizer.js';
import { RunKind, RunStatus } from '../../generated/prisma/enums.js';
import type { GalleryId, ModelPackId, RunId } from '../../core/ids/ids.js';
import { JobName } from '../../core/queue/jobQueue.js';
import type { LangevinRunParameters } from '../../core/runs/langevinRunParameters.js';
import { failOrCancel } from '../../core/runs/runLifecycle.js';
import { packNotReady } from '../../core/packs/packLifecycle.js';
import { jsonColumn } from '../../core/db/json.js';
import { isRecord } from '../../core/packs/jsonSchema.js';
import {
  DEFAULT_LANGEVIN_CHECKPOINT_EVERY,
  langevinParams,
  validateLangevinParams,
} from '../../core/runs/langevinParams.js';
import { decodeStoredConstantInputs } from '../../core/packs/storedManifest.js';
import { checkGeneratorInputs } from '../../core/runs/generatorInputs.js';
import { parseSeed } from '../../core/runs/seed.js';
import { seedToColumn } from '../../core/db/seeds.js';
import { checkId, checkUploadKey } from '../args.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { badUserInput, type FieldProblem } from '../errors.js';
import { LangevinRunInput } from '../inputs/LangevinRunInput.js';
import { toRun } from '../mappers.js';
import { Run } from '../types/Run.js';
import { publishRunEventInTransaction, runStatusEvent } from '../../core/events/runEvents.js';

const maxIdentities = 10_000_000;

function checkSeed(value: string | undefined, problems: FieldProblem[]): bigint {
  if (value === undefined) return randomBytes(8).readBigUInt64LE();
  try {
    return parseSeed(value);
  } catch (error) {
    problems.push({ field: 'input.seed', message: (error as Error).message });
    return 0n;
  }
}

@Resolver()
export class LangevinResolver {
  @Mutation(() => Run, {
    description: 'Validates and queues a Langevin run; nothing is queued when any field is invalid',
  })
  async startLangevinRun(
    @Ctx() context: GraphQLContext,
    @Arg('input', () => LangevinRunInput) input: LangevinRunInput,
  ): Promise<Run> {
    authorize(context, Permission.Operate);
    // An exclusion gallery is biometric data: using one needs the audit permission as well.
    if (input.exclusionGalleryId !== undefined && input.exclusionGalleryId !== null)
      authorize(context, Permission.Audit);
    const { prisma, store, queue } = context.services;
    const problems: FieldProblem[] = [];
    const packId = checkId<ModelPackId>(input.modelPackId, 'input.modelPackId', problems);
    const galleryId =
      input.exclusionGalleryId === undefined
        ? undefined
        : checkId<GalleryId>(input.exclusionGalleryId, 'input.exclusionGalleryId', problems);
    const parentId =
      input.parentRunId === undefined ? undefined : checkId<RunId>(input.parentRunId, 'input.parentRunId', problems);

    if (!Number.isInteger(input.numIdentities) || input.numIdentities < 2 || input.numIdentities > maxIdentities) {
      problems.push({ field: 'input.numIdentities', message: `must be an integer from 2 to ${maxIdentities}` });
    }
    const checkpointEvery = input.checkpointEvery ?? DEFAULT_LANGEVIN_CHECKPOINT_EVERY;
    if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
      problems.push({ field: 'input.checkpointEvery', message: 'must be an integer ≥ 1' });
    }
    const seed = checkSeed(input.seed, problems);

    const pack = packId ? await prisma.modelPack.findUnique({ where: { id: packId } }) : null;
    if (packId && !pack) problems.push({ field: 'input.modelPackId', message: `no model pack ${packId}` });
    const notReady = pack ? packNotReady(pack) : null;
    if (notReady) problems.push({ field: 'input.modelPackId', message: notReady });
    const params = langevinParams({
      iterations: input.iterations,
      ict: input.ict,
      repulsionCoefficient: input.repulsionCoefficient,
      repulsionRadius: input.repulsionRadius,
      timestep: input.timestep,
      viscosity: input.viscosity,
      randomForce: input.randomForce,
      latentForce: input.latentForce,
      truncationPsi: input.truncationPsi ?? packTruncation(pack?.manifest),
      batchSize: input.batchSize,
      exclusionDistance: input.exclusionDistance,
    });
    for (const problem of validateLangevinParams(params))
      problems.push({ field: `input.${problem.field}`, message: problem.message });

    if (galleryId) {
      const gallery = await prisma.gallery.findUnique({ where: { id: galleryId } });
      if (!gallery) problems.push({ field: 'input.exclusionGalleryId', message: `no gallery ${galleryId}` });
      else if (pack && gallery.recognizerDigest !== recognizerDigestOf(pack.manifest)) {
        problems.push({
          field: 'input.exclusionGalleryId',
          message:
            `gallery was embedded with recognizer ${gallery.recognizerDigest}, the pack uses ` +
            `${recognizerDigestOf(pack.manifest) ?? 'unknown'}`,
        });
      } else if (pack && gallery.embeddingDim !== pack.embeddingDim) {
        problems.push({
          field: 'input.exclusionGalleryId',
          message: `gallery embeddings have dimension ${gallery.embeddingDim}, the pack's recognizer ${pack.embeddingDim}`,
        });
      }
    } else if (input.exclusionDistance !== undefined) {
      problems.push({ field: 'input.exclusionDistance', message: 'needs exclusionGalleryId' });
    }
    if (parentId && !(await prisma.run.findUnique({ where: { id: parentId }, select: { id: true } }))) {
      problems.push({ field: 'input.parentRunId', message: `no run ${parentId}` });
    }
    const initialLatents =
      input.initialLatents === undefined
        ? undefined
        : checkUploadKey(input.initialLatents, 'input.initialLatents', problems);
    if (initialLatents !== undefined) {
      const size = await store.size(initialLatents);
      if (size === undefined) problems.push({ field: 'input.initialLatents', message: `no object ${initialLatents}` });
      else if (pack && size !== input.numIdentities * pack.latentDim * 4) {
        problems.push({
          field: 'input.initialLatents',
          message:
            `has ${size} bytes; ${input.numIdentities}×${pack.latentDim} float32 latents need ` +
            `${input.numIdentities * pack.latentDim * 4}`,
        });
      }
    }
    const generatorInputs = pack
      ? checkGeneratorInputs(
          input.generatorInputs,
          { name: pack.name, constantInputs: decodeStoredConstantInputs(pack.manifest) },
          'input.generatorInputs',
          problems,
        )
      : {};
    if (problems.length > 0 || !pack) throw badUserInput(problems);

    const parameters: LangevinRunParameters = {
      numIdentities: input.numIdentities,
      checkpointEvery,
      initialLatents: input.initialLatents ?? null,
      exclusionGalleryId: galleryId ?? null,
      langevin: params,
      generatorInputs,
    };
    const run = await prisma.$transaction(async (tx) => {
      const row = await tx.run.create({
        data: {
          kind: RunKind.LANGEVIN,
          parameters: jsonColumn(parameters),
          seed: seedToColumn(seed),
          modelPackId: pack.id,
          parentRunId: parentId ?? null,
          exclusionGalleryId: galleryId ?? null,
          totalIterations: params.iterations,
          createdById: context.principal.keyId,
        },
      });
      await tx.auditLogEntry.create({ data: auditEntry(context, 'startLangevinRun', row.id, { input: { ...input } }) });
      // A new run is a status change too (to QUEUED): runUpdated subscribers hear of it at the commit.
      await publishRunEventInTransaction(tx, runStatusEvent(row));
      return row;
    });
    try {
      await queue.enqueueRun(JobName.langevin, run.id as RunId);
    } catch (error) {
      const failed = await failOrCancel(prisma, run.id as RunId, RunStatus.FAILED, {
        error: `could not be queued: ${(error as Error).message}`,
      });
      return toRun(failed ?? run);
    }
    return toRun(run);
  }
}

function packTruncation(manifest: unknown): number | undefined {
  return isRecord(manifest) && typeof manifest.truncation === 'number' ? manifest.truncation : undefined;
}
