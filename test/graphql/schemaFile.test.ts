import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createSchema, printSdl, schemaFile } from '../../src/graphql/schema.js';

describe('schema/schema.graphql', () => {
  it('is the schema generated from the resolvers (run `npm run schema` after changing the API)', async () => {
    const committed = await readFile(schemaFile, 'utf8');
    expect(committed).toBe(printSdl(await createSchema()));
  });
});
