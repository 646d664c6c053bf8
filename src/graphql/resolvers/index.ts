import type { ClassType, NonEmptyArray } from 'type-graphql';
import { ApiKeyResolver } from './ApiKeyResolver.js';
import { AuditLogResolver } from './AuditLogResolver.js';
import { DatasetExportResolver, DatasetResolver } from './DatasetResolver.js';
import { DispersionResolver } from './DispersionResolver.js';
import { GalleryResolver, GallerySubjectResolver } from './GalleryResolver.js';
import { IdentityResolver, SampleResolver } from './IdentityResolver.js';
import { LangevinResolver } from './LangevinResolver.js';
import { LeakageAuditResolver, LeakageMatchResolver } from './LeakageAuditResolver.js';
import { ModelPackResolver } from './ModelPackResolver.js';
import { NodeResolver } from './NodeResolver.js';
import { ProvenanceResolver } from './ProvenanceResolver.js';
import { RunResolver } from './RunResolver.js';
import { SubscriptionResolver } from './SubscriptionResolver.js';
import { UploadResolver } from './UploadResolver.js';
import { VerificationResolver } from './VerificationResolver.js';

// Every resolver class of the API, in one place.
export const resolvers: NonEmptyArray<ClassType> = [
  ApiKeyResolver,
  AuditLogResolver,
  DatasetExportResolver,
  DatasetResolver,
  DispersionResolver,
  GalleryResolver,
  GallerySubjectResolver,
  IdentityResolver,
  LangevinResolver,
  LeakageAuditResolver,
  LeakageMatchResolver,
  ModelPackResolver,
  NodeResolver,
  ProvenanceResolver,
  RunResolver,
  SampleResolver,
  SubscriptionResolver,
  UploadResolver,
  VerificationResolver,
];
