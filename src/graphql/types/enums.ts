import { registerEnumType } from 'type-graphql';
import {
  AuditScope,
  AuditStatus,
  GalleryStatus,
  PackStatus,
  Role,
  RunKind,
  RunStatus,
  ThresholdSource,
  ExportFormat,
  ExportStatus,
  ProvenanceFormat,
  ProvenanceSubjectKind,
} from '../../generated/prisma/enums.js';

export {
  AuditScope,
  AuditStatus,
  GalleryStatus,
  PackStatus,
  Role,
  RunKind,
  RunStatus,
  ThresholdSource,
  ExportFormat,
  ExportStatus,
  ProvenanceFormat,
  ProvenanceSubjectKind,
};

registerEnumType(RunKind, { name: 'RunKind', description: 'Generation method of a run' });
registerEnumType(RunStatus, { name: 'RunStatus' });
registerEnumType(PackStatus, {
  name: 'PackStatus',
  description: 'Whether a model pack passed the dry run that runs need',
});
registerEnumType(Role, { name: 'Role', description: 'What an API key may do' });
registerEnumType(AuditStatus, { name: 'AuditStatus' });
registerEnumType(GalleryStatus, { name: 'GalleryStatus' });
registerEnumType(AuditScope, {
  name: 'AuditScope',
  description: 'Which synthetic embeddings an audit compares: identities, samples, or both',
});
registerEnumType(ThresholdSource, { name: 'ThresholdSource', description: 'How an audit threshold was given' });

/** DisCo's covariate directions: the pack's named ones, or principal directions of W. */
export enum CovariateSourceEnum {
  PACK = 'PACK',
  PRINCIPAL_DIRECTIONS = 'PRINCIPAL_DIRECTIONS',
}
registerEnumType(CovariateSourceEnum, {
  name: 'CovariateSource',
  description:
    'PACK: directions with names and scales from the manifest; PRINCIPAL_DIRECTIONS: GANSpace-style PCA of W',
});

registerEnumType(ExportFormat, {
  name: 'ExportFormat',
  description:
    'IMAGE_FOLDER: a .tar of train/<label>/*.png (torchvision ImageFolder); INSIGHTFACE_REC: MXNet RecordIO ' +
    'train.rec, train.idx and property (arcface_torch); WEBDATASET: tar shards of <key>.png, .cls and .json',
});
registerEnumType(ExportStatus, { name: 'ExportStatus' });

export enum ExportCropEnum {
  ALIGNED = 'ALIGNED',
  FULL = 'FULL',
}
registerEnumType(ExportCropEnum, {
  name: 'ExportCrop',
  description: "ALIGNED: the recognizer's input crop, what FR trainers read; FULL: the generator's image",
});

export enum ExportContentEnum {
  IDENTITIES = 'IDENTITIES',
  SAMPLES = 'SAMPLES',
  BOTH = 'BOTH',
}
registerEnumType(ExportContentEnum, {
  name: 'ExportContent',
  description: "Identities' reference images, samples, or both",
});
registerEnumType(ProvenanceFormat, {
  name: 'ProvenanceFormat',
  description: 'W3C PROV-JSON or PROV-N (docs/provenance.md)',
});
registerEnumType(ProvenanceSubjectKind, {
  name: 'ProvenanceSubjectKind',
  description: 'What a provenance document is about',
});
