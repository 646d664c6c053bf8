import { describe, expect, it } from 'vitest';
import { decodeAuditSummary, histogramBins, type AuditSummary } from '../../../src/core/audits/auditSummary.js';
import { StoredJsonError } from '../../../src/core/db/json.js';

const summary: AuditSummary = {
  identitiesAudited: 4,
  samplesAudited: 0,
  flaggedIdentities: 1,
  flaggedSamples: 0,
  leakageRate: 0.25,
  sampleLeakageRate: 0,
  maxSimilarity: 0.71,
  histogram: {
    binStarts: Array.from({ length: histogramBins }, (_, i) => -1 + (2 * i) / histogramBins),
    identityMaxSimilarity: Array.from({ length: histogramBins }, (_, i) => (i === 30 ? 4 : 0)),
    galleryImpostors: Array.from({ length: histogramBins }, () => 1 / histogramBins),
  },
};

/** A JSON copy of the summary with one field (of the histogram when `inHistogram`) replaced. */
function corrupt(field: string, value: unknown, inHistogram = false): unknown {
  const copy = JSON.parse(JSON.stringify(summary)) as Record<string, unknown> & { histogram: Record<string, unknown> };
  if (inHistogram) copy.histogram[field] = value;
  else copy[field] = value;
  return copy;
}

describe('decodeAuditSummary', () => {
  it('reads back what the worker stored, unchanged, and null for an unfinished audit', () => {
    expect(decodeAuditSummary(JSON.parse(JSON.stringify(summary)))).toEqual(summary);
    expect(decodeAuditSummary(null)).toBeNull();
  });

  it.each<[string, unknown, boolean, string]>([
    ['identitiesAudited', 1.5, false, 'summary.identitiesAudited should be an integer ≥ 0'],
    ['flaggedSamples', -1, false, 'summary.flaggedSamples should be an integer ≥ 0'],
    ['leakageRate', '0.25', false, 'summary.leakageRate should be a finite number'],
    ['maxSimilarity', null, false, 'summary.maxSimilarity should be a finite number'],
    ['histogram', [], false, 'summary.histogram should be an object'],
    ['binStarts', [0, 'a'], true, 'summary.histogram.binStarts should be an array of finite numbers'],
    [
      'galleryImpostors',
      [0.5, 0.5],
      true,
      `summary.histogram.galleryImpostors should be ${histogramBins} numbers, one per bin`,
    ],
  ])('names a corrupt %s', (field, value, inHistogram, message) => {
    expect(() => decodeAuditSummary(corrupt(field, value, inHistogram))).toThrow(new StoredJsonError(message));
  });

  it('refuses a value that is neither an object nor null', () => {
    expect(() => decodeAuditSummary(3)).toThrow(new StoredJsonError('summary should be an object or null'));
  });
});
