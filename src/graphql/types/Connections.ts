import { ObjectType } from 'type-graphql';
import { AuditLogEntry } from './AuditLogEntry.js';
import { Connection } from './Connection.js';
import { Gallery, GallerySubject } from './Gallery.js';
import { Identity, Sample } from './Identity.js';
import { ModelPack } from './ModelPack.js';
import { Run } from './Run.js';
import { Dataset } from './Dataset.js';

@ObjectType()
export class RunConnection extends Connection('Run', Run) {}

@ObjectType()
export class IdentityConnection extends Connection('Identity', Identity) {}

@ObjectType()
export class SampleConnection extends Connection('Sample', Sample) {}

@ObjectType()
export class DatasetConnection extends Connection('Dataset', Dataset) {}

@ObjectType()
export class ModelPackConnection extends Connection('ModelPack', ModelPack) {}

@ObjectType()
export class GalleryConnection extends Connection('Gallery', Gallery) {}

@ObjectType()
export class GallerySubjectConnection extends Connection('GallerySubject', GallerySubject) {}

@ObjectType()
export class AuditLogConnection extends Connection('AuditLogEntry', AuditLogEntry) {}
