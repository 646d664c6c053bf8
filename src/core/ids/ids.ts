/** Branded identifiers: a run id cannot be passed where a pack id is expected. */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type RunId = Brand<string, 'RunId'>;
export type ModelPackId = Brand<string, 'ModelPackId'>;
export type IdentityId = Brand<string, 'IdentityId'>;
export type SampleId = Brand<string, 'SampleId'>;
export type GalleryId = Brand<string, 'GalleryId'>;
export type AuditId = Brand<string, 'AuditId'>;
export type GallerySubjectId = Brand<string, 'GallerySubjectId'>;
export type ApiKeyId = Brand<string, 'ApiKeyId'>;
export type JobId = Brand<string, 'JobId'>;
export type ShardId = Brand<string, 'ShardId'>;
export type DatasetId = Brand<string, 'DatasetId'>;
export type DatasetExportId = Brand<string, 'DatasetExportId'>;
export type ProvenanceExportId = Brand<string, 'ProvenanceExportId'>;
export type VerificationId = Brand<string, 'VerificationId'>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
