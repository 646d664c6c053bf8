import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/**
 * The vitest configuration Stryker runs (scripts/mutation.mjs): the project's, narrowed to the fast
 * unit tests of the one module under mutation, named by BROWNIAN_MUTATION_MODULE in
 * test/mutation/modules.json.
 */
const modules = JSON.parse(readFileSync(new URL('./modules.json', import.meta.url), 'utf8')) as Record<
  string,
  { tests: string[] }
>;
const name = process.env.BROWNIAN_MUTATION_MODULE ?? '';
const module = modules[name];
if (!module)
  throw new Error(`BROWNIAN_MUTATION_MODULE must be one of ${Object.keys(modules).join(', ')}, not "${name}"`);

// Not mergeConfig: it would append these files to the project's include instead of replacing it.
export default defineConfig({ ...base, test: { ...base.test, include: module.tests } });
