import { ObjectType } from 'type-graphql';
import { Connection } from './Connection.js';
import { Identity, Sample } from './Identity.js';
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
