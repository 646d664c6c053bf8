import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { EventHub } from '../core/events/eventHub.js';
import { packageRoot } from '../core/paths.js';
import { resolvers } from './resolvers/index.js';

export const schemaFile = join(packageRoot, 'schema', 'schema.graphql');

/** Subscriptions read from `events`; printing the schema needs a hub that is never started. */
export function createSchema(events: EventHub = new EventHub()): Promise<GraphQLSchema> {
  return buildSchema({ resolvers, validate: false, pubSub: events });
}

/** The SDL committed under schema/, sorted so that it only changes when the API does. */
export function printSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

export async function writeSchemaFile(schema: GraphQLSchema): Promise<void> {
  await writeFile(schemaFile, printSdl(schema));
}
