import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { createSchema, printSdl, schemaFile, writeSchemaFile } from '../../graphql/schema.js';
import { packageRoot } from '../../core/paths.js';
import { modelPackSchemaJson } from '../../core/packs/manifestSchema.js';

/** The model pack manifest's JSON Schema, published beside the GraphQL schema. */
const packSchemaFile = join(packageRoot, 'schema', 'model-pack.schema.json');

export function schemaCommand(): Command {
  return new Command('schema')
    .description(
      `print the GraphQL schema generated from the code, or write it (and the model pack JSON Schema) under schema/`,
    )
    .option('--write', 'write schema/schema.graphql')
    .option('--check', 'exit 1 when schema/schema.graphql differs from the code')
    .action(async (flags: { write?: boolean; check?: boolean }) => {
      const schema = await createSchema();
      if (flags.write) {
        await writeSchemaFile(schema);
        await writeFile(packSchemaFile, modelPackSchemaJson());
      } else if (flags.check) {
        const committed = await readFile(schemaFile, 'utf8').catch(() => '');
        if (committed !== printSdl(schema)) {
          process.stderr.write(`${schemaFile} is out of date: run \`npm run schema\`\n`);
          process.exitCode = 1;
        }
      } else {
        process.stdout.write(printSdl(schema));
      }
    });
}
