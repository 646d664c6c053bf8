import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createSchema, printSdl, schemaFile, writeSchemaFile } from '../../graphql/schema.js';

export function schemaCommand(): Command {
  return new Command('schema')
    .description(`print the GraphQL schema generated from the code, or write it to ${schemaFile}`)
    .option('--write', 'write schema/schema.graphql')
    .option('--check', 'exit 1 when schema/schema.graphql differs from the code')
    .action(async (flags: { write?: boolean; check?: boolean }) => {
      const schema = await createSchema();
      if (flags.write) {
        await writeSchemaFile(schema);
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
