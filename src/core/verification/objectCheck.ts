import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';

/** Which stored object of a sample or identity a check is about. */
export enum CheckedObject {
  /** The PNG in the object store: do its bytes still hash to the recorded sha256? */
  IMAGE = 'IMAGE',
  /** The latent in the database: does the image re-derived from it hash to the recorded sha256? */
  LATENT = 'LATENT',
  /** The embedding in the database: is it, bit for bit, the one re-derived from the latent? */
  EMBEDDING = 'EMBEDDING',
  /** A checkpoint a run kept (subject: the run): do its stored bytes still hash to the digest recorded when written? */
  CHECKPOINT = 'CHECKPOINT',
  /**
   * A segment of a run's trajectory (subject: the run), re-run from the seed or a kept checkpoint:
   * does it end at the next checkpoint's recorded digest, or at the run's stored latents?
   */
  TRAJECTORY = 'TRAJECTORY',
}

/** One object checked by a verification: the digest recorded (or stored) against the one found. */
export interface ObjectCheck {
  /** The sample or identity, or the run of a CHECKPOINT or TRAJECTORY check (a `node(id:)` id). */
  subjectId: string;
  object: CheckedObject;
  /** Where the object lives: its object key, or its table and column. */
  location: string;
  expectedSha256: string;
  /** Null when the object could not be read or re-derived at all (`problem` says why). */
  actualSha256: string | null;
  matches: boolean;
  problem: string | null;
}

const objects = new Set<string>(Object.values(CheckedObject));

/** The results column, checked on the way out: a malformed row is a bug or a hand edit, never user input. */
export function decodeObjectChecks(value: unknown): ObjectCheck[] {
  if (!Array.isArray(value)) throw new StoredJsonError('Verification.results is not an array');
  return value.map((item, index) => {
    if (
      !isRecord(item) ||
      typeof item.subjectId !== 'string' ||
      typeof item.object !== 'string' ||
      !objects.has(item.object) ||
      typeof item.location !== 'string' ||
      typeof item.expectedSha256 !== 'string' ||
      !(typeof item.actualSha256 === 'string' || item.actualSha256 === null) ||
      typeof item.matches !== 'boolean' ||
      !(typeof item.problem === 'string' || item.problem === null)
    ) {
      throw new StoredJsonError(`Verification.results[${index}] is not an object check`);
    }
    return {
      subjectId: item.subjectId,
      object: item.object as CheckedObject,
      location: item.location,
      expectedSha256: item.expectedSha256,
      actualSha256: item.actualSha256,
      matches: item.matches,
      problem: item.problem,
    };
  });
}
