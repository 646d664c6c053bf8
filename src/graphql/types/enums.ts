import { registerEnumType } from 'type-graphql';
import { AuditScope, AuditStatus, GalleryStatus, Role, RunKind, RunStatus, ThresholdSource } from '../../generated/prisma/enums.js';

export { AuditScope, AuditStatus, GalleryStatus, Role, RunKind, RunStatus, ThresholdSource };

registerEnumType(RunKind, { name: 'RunKind', description: 'Generation method of a run' });
registerEnumType(RunStatus, { name: 'RunStatus' });
registerEnumType(Role, { name: 'Role', description: 'What an API key may do' });
registerEnumType(AuditStatus, { name: 'AuditStatus' });
registerEnumType(GalleryStatus, { name: 'GalleryStatus' });
registerEnumType(AuditScope, { name: 'AuditScope', description: 'Which synthetic embeddings an audit compares: identities, samples, or both' });
registerEnumType(ThresholdSource, { name: 'ThresholdSource', description: 'How an audit threshold was given' });

/** DisCo's covariate directions: the pack's named ones, or principal directions of W. */
export enum CovariateSourceEnum {
  PACK = 'PACK',
  PRINCIPAL_DIRECTIONS = 'PRINCIPAL_DIRECTIONS',
}
registerEnumType(CovariateSourceEnum, {
  name: 'CovariateSource',
  description: 'PACK: directions with names and scales from the manifest; PRINCIPAL_DIRECTIONS: GANSpace-style PCA of W',
});
