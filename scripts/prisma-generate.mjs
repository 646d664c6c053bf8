// `prisma generate` needs no schema engine, but the Prisma 7 CLI still tries to download one
// unless PRISMA_SCHEMA_ENGINE_BINARY names an existing file; offline installs would fail without this.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const prisma = fileURLToPath(new URL('../node_modules/prisma/build/index.js', import.meta.url));
const result = spawnSync(process.execPath, [prisma, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
