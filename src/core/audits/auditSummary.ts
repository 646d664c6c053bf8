import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';

/** Bins of the similarity histograms, equal over cosine similarity [-1, 1]. */
export const histogramBins = 40;

/** What an audit found, kept in LeakageAudit.summary; it holds nothing of the gallery's own data. */
export interface AuditSummary {
  identitiesAudited: number;
  samplesAudited: number;
  /** Identities with a match above the threshold, through themselves or any of their samples. */
  flaggedIdentities: number;
  flaggedSamples: number;
  /** flaggedIdentities / identitiesAudited. */
  leakageRate: number;
  /** flaggedSamples / samplesAudited, 0 when no samples were audited. */
  sampleLeakageRate: number;
  /** Highest similarity of any synthetic embedding to any gallery subject. */
  maxSimilarity: number;
  histogram: {
    /** Lower edge of each bin; the last bin ends at 1. */
    binStarts: number[];
    /** How many audited identities have their maximum similarity in each bin. */
    identityMaxSimilarity: number[];
    /** Share of the gallery's impostor pairs in each bin. */
    galleryImpostors: number[];
  };
}

function fail(path: string, expected: string): never {
  throw new StoredJsonError(`${path} should be ${expected}`);
}

function count(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fail(path, 'an integer ≥ 0');
}

function finite(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fail(path, 'a finite number');
}

/** One value per bin; `length` is the first histogram's (audits keep the bins they were written with). */
function bins(value: unknown, path: string, length?: number): number[] {
  const isFinite = (item: unknown): item is number => typeof item === 'number' && Number.isFinite(item);
  if (!Array.isArray(value) || !value.every(isFinite)) fail(path, 'an array of finite numbers');
  if (length !== undefined && value.length !== length) fail(path, `${length} numbers, one per bin`);
  return value;
}

/** LeakageAudit.summary read back, checked field by field; null while the audit has not finished. */
export function decodeAuditSummary(value: unknown, path = 'summary'): AuditSummary | null {
  if (value === null) return null;
  if (!isRecord(value)) fail(path, 'an object or null');
  const histogram = value.histogram;
  if (!isRecord(histogram)) fail(`${path}.histogram`, 'an object');
  const binStarts = bins(histogram.binStarts, `${path}.histogram.binStarts`);
  const perBin = (field: 'identityMaxSimilarity' | 'galleryImpostors') =>
    bins(histogram[field], `${path}.histogram.${field}`, binStarts.length);
  return {
    identitiesAudited: count(value.identitiesAudited, `${path}.identitiesAudited`),
    samplesAudited: count(value.samplesAudited, `${path}.samplesAudited`),
    flaggedIdentities: count(value.flaggedIdentities, `${path}.flaggedIdentities`),
    flaggedSamples: count(value.flaggedSamples, `${path}.flaggedSamples`),
    leakageRate: finite(value.leakageRate, `${path}.leakageRate`),
    sampleLeakageRate: finite(value.sampleLeakageRate, `${path}.sampleLeakageRate`),
    maxSimilarity: finite(value.maxSimilarity, `${path}.maxSimilarity`),
    histogram: {
      binStarts,
      identityMaxSimilarity: perBin('identityMaxSimilarity'),
      galleryImpostors: perBin('galleryImpostors'),
    },
  };
}
