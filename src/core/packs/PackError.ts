/** Why a model pack (or a model given to `pack check`) cannot be used. The codes are stable. */
export type PackErrorCode =
  | 'manifest-missing'
  | 'manifest-not-json'
  | 'manifest-invalid'
  | 'file-missing'
  | 'digest-mismatch'
  | 'vector-invalid'
  | 'model-unreadable'
  | 'model-io'
  | 'not-float'
  | 'dims-mismatch'
  | 'unsupported-op'
  | 'dry-run-failed'
  | 'fixed-batch';

/**
 * A pack failure with the manifest field it concerns (`recognizer.sha256`, `covariates[1].file`);
 * the message starts with that field.
 */
export class PackError extends Error {
  override readonly name = 'PackError';

  constructor(
    readonly code: PackErrorCode,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${detail}`, options);
  }
}
