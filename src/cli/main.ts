import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { datasetCommand } from './commands/dataset.js';
import { galleryCommand } from './commands/gallery.js';
import { provenanceCommand } from './commands/provenance.js';
import { verifyCommand } from './commands/verify.js';
import { demoCommand } from './commands/demo.js';
import { downloadCommand } from './commands/download.js';
import { errorMessage } from './errorMessage.js';
import { packCommand } from './commands/pack.js';
import { platformCommands } from './commands/platform.js';
import { schemaCommand } from './commands/schema.js';

export function buildProgram(): Command {
  const program = new Command('brownian')
    .description('Synthetic face datasets by Brownian identity diffusion, with provenance and leakage audits')
    .option('--verbose', 'print the stack trace of an error')
    .exitOverride();
  for (const command of platformCommands()) program.addCommand(command);
  program.addCommand(schemaCommand());
  program.addCommand(packCommand());
  program.addCommand(demoCommand());
  program.addCommand(downloadCommand());
  program.addCommand(datasetCommand());
  program.addCommand(galleryCommand());
  program.addCommand(provenanceCommand());
  program.addCommand(verifyCommand());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`${errorMessage(error, argv.includes('--verbose'))}\n`);
    return 1;
  }
}
