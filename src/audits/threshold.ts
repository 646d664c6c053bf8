import { ThresholdSource } from '../generated/prisma/enums.js';
import { falseMatchRate, thresholdForFalseMatchRate } from '../core/audits/impostors.js';
import type { FieldProblem } from '../graphql/errors.js';

export interface ThresholdRequest {
  cosine?: number | null;
  angle?: number | null;
  targetFalseMatchRate?: number | null;
}

/** A decision threshold, with how it was given and the false-match rate it gives on the gallery. */
export interface ResolvedThreshold {
  threshold: number;
  thresholdSource: ThresholdSource;
  targetFalseMatchRate: number | null;
  falseMatchRate: number | null;
}

/** Exactly one form of threshold; the chosen cosine and the FMR it gives on the impostor sample are stored. */
export function resolveThreshold(
  request: ThresholdRequest,
  impostors: Float32Array,
  field: string,
  problems: FieldProblem[],
): ResolvedThreshold | undefined {
  const given = (['cosine', 'angle', 'targetFalseMatchRate'] as const).filter(
    (key) => request[key] !== undefined && request[key] !== null,
  );
  if (given.length !== 1) {
    problems.push({ field, message: 'give exactly one of cosine, angle or targetFalseMatchRate' });
    return undefined;
  }
  const fmr = (threshold: number) => (impostors.length === 0 ? null : falseMatchRate(impostors, threshold));
  if (request.cosine !== undefined && request.cosine !== null) {
    if (!(request.cosine >= -1 && request.cosine <= 1))
      problems.push({ field: `${field}.cosine`, message: 'must be in [-1, 1]' });
    return {
      threshold: request.cosine,
      thresholdSource: ThresholdSource.COSINE,
      targetFalseMatchRate: null,
      falseMatchRate: fmr(request.cosine),
    };
  }
  if (request.angle !== undefined && request.angle !== null) {
    if (!(request.angle >= 0 && request.angle <= Math.PI))
      problems.push({ field: `${field}.angle`, message: 'must be in [0, π] radians' });
    const cosine = Math.cos(request.angle);
    return {
      threshold: cosine,
      thresholdSource: ThresholdSource.ANGLE,
      targetFalseMatchRate: null,
      falseMatchRate: fmr(cosine),
    };
  }
  const target = request.targetFalseMatchRate!;
  if (!(target > 0 && target < 1)) {
    problems.push({ field: `${field}.targetFalseMatchRate`, message: 'must be in (0, 1)' });
    return undefined;
  }
  if (impostors.length === 0) {
    problems.push({
      field: `${field}.targetFalseMatchRate`,
      message: 'the gallery has no impostor pairs (one subject): give cosine or angle',
    });
    return undefined;
  }
  const calibrated = thresholdForFalseMatchRate(impostors, target);
  return { ...calibrated, thresholdSource: ThresholdSource.FALSE_MATCH_RATE, targetFalseMatchRate: target };
}
