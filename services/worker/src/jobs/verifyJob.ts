import { createHash } from 'node:crypto';
import { bytesToFloat32, float32ToBytes } from '../../../../src/core/db/floats.js';
import { isRecord } from '../../../../src/core/packs/jsonSchema.js';
import type { VerifyJobName } from '../../../../src/core/queue/jobQueue.js';
import { decodeGeneratorInputs, type RunGeneratorInputs } from '../../../../src/core/runs/generatorInputs.js';
import { decodeLangevinRunParameters } from '../../../../src/core/runs/langevinRunParameters.js';
import { ObjectIntegrityError } from '../../../../src/core/store/ObjectIntegrityError.js';
import { CheckedObject, type ObjectCheck } from '../../../../src/core/verification/objectCheck.js';
import { spreadPositions } from '../../../../src/core/verification/requestVerification.js';
import { chooseSegments, runTrajectory, type TrajectorySegment } from '../../../../src/core/verification/trajectory.js';
import { ExportStatus, ProvenanceSubjectKind, RunKind } from '../../../../src/generated/prisma/enums.js';
import type * as db from '../../../../src/generated/prisma/client.js';
import { encodePng } from '../images/png.js';
import type { JobHandler, WorkerServices } from './JobHandler.js';
import { openRunModel, type RunModel } from './runModel.js';
import { checkTrajectory, TrajectoryInterrupted } from './verifyTrajectory.js';

/** A sample or identity as stored: what its provenance says it was made from and what it is. */
interface Subject {
  id: string;
  runId: string;
  latent: Uint8Array;
  embedding: Uint8Array;
  imageKey: string;
  imageSha256: string;
}

const progressEvery = 16;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

class VerificationInterrupted extends Error {}

/**
 * The batch size and generator inputs the run's sessions had: with the same session shape and
 * constant inputs, a row's outputs are bit for bit the same.
 */
function sessionOf(run: db.Run): { batchSize: number; generatorInputs: RunGeneratorInputs } {
  if (run.kind === RunKind.LANGEVIN) {
    const parameters = decodeLangevinRunParameters(run.parameters);
    return { batchSize: parameters.langevin.batchSize, generatorInputs: parameters.generatorInputs };
  }
  const parameters = isRecord(run.parameters) ? run.parameters : {};
  const dispersion = isRecord(parameters.dispersion) ? parameters.dispersion : undefined;
  const batchSize = dispersion?.batchSize;
  if (typeof batchSize !== 'number') throw new Error(`run ${run.id} records no dispersion.batchSize`);
  return {
    batchSize,
    generatorInputs: decodeGeneratorInputs(parameters.generatorInputs, 'parameters.generatorInputs'),
  };
}

async function subjectsOf(services: WorkerServices, row: db.Verification): Promise<Subject[]> {
  const { prisma } = services;
  if (row.subjectKind === ProvenanceSubjectKind.RUN) return [];
  if (row.subjectKind === ProvenanceSubjectKind.SAMPLE) {
    return [await prisma.sample.findUniqueOrThrow({ where: { id: row.subjectId } })];
  }
  if (row.subjectKind === ProvenanceSubjectKind.IDENTITY) {
    return [await prisma.identity.findUniqueOrThrow({ where: { id: row.subjectId } })];
  }
  const total = await prisma.datasetMember.count({ where: { datasetId: row.subjectId } });
  const members = await prisma.datasetMember.findMany({
    where: { datasetId: row.subjectId, position: { in: spreadPositions(total, row.sampleCount) } },
    orderBy: { position: 'asc' },
    include: { identity: true, sample: true },
  });
  return members.map((member) => member.sample ?? member.identity);
}

/** The three checks of one subject: its stored image, the image its latent makes, the embedding its latent makes. */
async function checkSubject(services: WorkerServices, model: RunModel, subject: Subject): Promise<ObjectCheck[]> {
  const check = (
    object: CheckedObject,
    location: string,
    expected: string,
    actual: string | null,
    problem?: string,
  ) => ({
    subjectId: subject.id,
    object,
    location,
    expectedSha256: expected,
    actualSha256: actual,
    matches: actual === expected,
    problem:
      problem ??
      (actual === expected
        ? null
        : `${object.toLowerCase()} of ${subject.id} differs: sha256 ${actual}, recorded ${expected}`),
  });
  const checks: ObjectCheck[] = [];
  try {
    const stored = await services.store.getBytes(subject.imageKey);
    checks.push(check(CheckedObject.IMAGE, subject.imageKey, subject.imageSha256, sha256(stored)));
  } catch (error) {
    if (!(error instanceof ObjectIntegrityError)) throw error;
    checks.push(check(CheckedObject.IMAGE, subject.imageKey, subject.imageSha256, error.actualSha256, error.message));
  }
  const latent = bytesToFloat32(subject.latent);
  const images = await model.render(latent, 1);
  const rederivedImage = sha256(encodePng(images, 0));
  const latentProblem =
    rederivedImage === subject.imageSha256
      ? undefined
      : `the image re-derived from the stored latent of ${subject.id} has sha256 ${rederivedImage}, the recorded ` +
        `image ${subject.imageSha256}`;
  checks.push(
    check(CheckedObject.LATENT, `latent of ${subject.id}`, subject.imageSha256, rederivedImage, latentProblem),
  );
  const embedding = float32ToBytes(await model.embedding.embed(latent, 1));
  const embeddingProblem = Buffer.from(embedding).equals(Buffer.from(subject.embedding))
    ? undefined
    : `the embedding re-derived from the stored latent of ${subject.id} differs from the stored embedding`;
  checks.push(
    check(
      CheckedObject.EMBEDDING,
      `embedding of ${subject.id}`,
      sha256(subject.embedding),
      sha256(embedding),
      embeddingProblem,
    ),
  );
  return checks;
}

/** The runs whose trajectories the verification re-runs, with the segments chosen of each. */
async function trajectoriesOf(
  services: WorkerServices,
  row: db.Verification,
): Promise<Map<string, TrajectorySegment[]>> {
  const { prisma } = services;
  const trajectories = new Map<string, TrajectorySegment[]>();
  if (row.segments === 0) return trajectories;
  const runIds =
    row.subjectKind === ProvenanceSubjectKind.RUN
      ? [row.subjectId]
      : row.subjectKind === ProvenanceSubjectKind.DATASET
        ? (await prisma.datasetRun.findMany({ where: { datasetId: row.subjectId }, orderBy: { runId: 'asc' } })).map(
            (r) => r.runId,
          )
        : [];
  for (const runId of runIds) {
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
    trajectories.set(runId, chooseSegments(await runTrajectory(prisma, run), row.segments));
  }
  return trajectories;
}

/**
 * A worker on another execution provider cannot re-derive anything bit for bit: the verification
 * fails at once, naming the provider it needs, instead of being retried on the same kind of worker.
 */
async function wrongProvider(services: WorkerServices, runIds: Iterable<string>): Promise<string | undefined> {
  const provider = services.worker.executionProvider;
  const runs = await services.prisma.run.findMany({
    where: { id: { in: [...runIds] } },
    select: { id: true, executionProvider: true },
  });
  const other = runs.find((run) => run.executionProvider !== provider);
  if (!other) return undefined;
  return (
    `run ${other.id} was made on ${other.executionProvider ?? 'an unrecorded execution provider'}: it can only be ` +
    `verified by a worker on ${other.executionProvider ?? 'that provider'} (this worker runs ${provider})`
  );
}

/**
 * Re-derives samples from their provenance on the execution provider their run recorded: the
 * stored latent through the run's pack (same digest, same session batch size) to an image and an
 * embedding, and checks every digest: the stored PNG against its recorded sha256, the re-derived
 * PNG against it, the re-derived embedding against the stored one bit for bit. Each check that
 * fails names the object and what differs (docs/provenance.md, "Verification").
 */
export const verifyJob: JobHandler<VerifyJobName> = async (job, services, signal) => {
  const { prisma } = services;
  const row = await prisma.verification.findUnique({ where: { id: job.data.verificationId } });
  if (!row || row.status === ExportStatus.SUCCEEDED || row.status === ExportStatus.FAILED) return 'completed';
  await prisma.verification.update({
    where: { id: row.id },
    data: { status: ExportStatus.RUNNING, startedAt: new Date(), checked: 0 },
  });
  try {
    const subjects = await subjectsOf(services, row);
    const byRun = new Map<string, Subject[]>();
    for (const subject of subjects) byRun.set(subject.runId, [...(byRun.get(subject.runId) ?? []), subject]);
    const trajectories = await trajectoriesOf(services, row);
    const problem = await wrongProvider(services, new Set([...byRun.keys(), ...trajectories.keys()]));
    if (problem) {
      await prisma.verification.update({
        where: { id: row.id },
        data: { status: ExportStatus.FAILED, error: problem, finishedAt: new Date() },
      });
      services.log.warn({ verificationId: row.id }, problem);
      return 'completed';
    }
    const checks: ObjectCheck[] = [];
    let checked = 0;
    const progress = async () => {
      if (++checked % progressEvery === 0)
        await prisma.verification.update({ where: { id: row.id }, data: { checked } });
    };
    for (const runId of new Set([...byRun.keys(), ...trajectories.keys()])) {
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { modelPack: true } });
      const session = sessionOf(run);
      const model = await openRunModel(services, run.modelPack, session.batchSize, session.generatorInputs);
      try {
        for (const subject of byRun.get(runId) ?? []) {
          if (signal.aborted) throw new VerificationInterrupted();
          checks.push(...(await checkSubject(services, model, subject)));
          await progress();
        }
        checks.push(...(await checkTrajectory(services, run, model, trajectories.get(runId) ?? [], signal, progress)));
      } finally {
        await model.release();
      }
    }
    const mismatches = checks.filter((c) => !c.matches).length;
    await prisma.verification.update({
      where: { id: row.id },
      data: {
        status: ExportStatus.SUCCEEDED,
        checked,
        mismatches,
        results: checks.map((c) => ({ ...c })),
        finishedAt: new Date(),
      },
    });
    services.log.info({ verificationId: row.id, checked, mismatches }, 'verification finished');
    return 'completed';
  } catch (error) {
    if (!(error instanceof VerificationInterrupted || error instanceof TrajectoryInterrupted)) throw error;
    await prisma.verification.update({ where: { id: row.id }, data: { status: ExportStatus.QUEUED } });
    return 'released';
  }
};
