import { histogramBins, type AuditSummary } from './auditSummary.js';
import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import { decodeImpostors, histogram } from './impostors.js';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** The summary of a finished audit, from its matches and the gallery's impostor distribution. */
export async function auditSummary(tx: Tx, audit: db.LeakageAudit): Promise<AuditSummary> {
  const [counts] = await tx.$queryRaw<
    Array<{ identities: bigint; samples: bigint; flaggedIdentities: bigint; flaggedSamples: bigint }>
  >`
    SELECT count(DISTINCT "identityId") AS identities, count(DISTINCT "sampleId") AS samples,
           count(DISTINCT "identityId") FILTER (WHERE "aboveThreshold") AS "flaggedIdentities",
           count(DISTINCT "sampleId") FILTER (WHERE "aboveThreshold") AS "flaggedSamples"
    FROM "LeakageMatch" WHERE "auditId" = ${audit.id}::uuid`;
  const maxima = await tx.$queryRaw<Array<{ best: number }>>`
    SELECT max("similarity") AS best FROM "LeakageMatch" WHERE "auditId" = ${audit.id}::uuid AND "rank" = 1 GROUP BY "identityId"`;
  const gallery = audit.galleryId
    ? await tx.gallery.findUnique({ where: { id: audit.galleryId }, select: { impostorSimilarities: true } })
    : null;
  const impostors = decodeImpostors(gallery?.impostorSimilarities ?? null);
  const identities = Number(counts?.identities ?? 0);
  const samples = Number(counts?.samples ?? 0);
  const flaggedIdentities = Number(counts?.flaggedIdentities ?? 0);
  const flaggedSamples = Number(counts?.flaggedSamples ?? 0);
  const best = maxima.map((row) => row.best);
  return {
    identitiesAudited: identities,
    samplesAudited: samples,
    flaggedIdentities,
    flaggedSamples,
    leakageRate: identities === 0 ? 0 : flaggedIdentities / identities,
    sampleLeakageRate: samples === 0 ? 0 : flaggedSamples / samples,
    maxSimilarity: best.reduce((a, b) => Math.max(a, b), -1),
    histogram: {
      binStarts: Array.from({ length: histogramBins }, (_, i) => -1 + (2 * i) / histogramBins),
      identityMaxSimilarity: histogram(best, histogramBins),
      galleryImpostors: histogram(impostors, histogramBins).map((count) =>
        impostors.length === 0 ? 0 : count / impostors.length,
      ),
    },
  };
}
