// Lint rules for the whole tree (docs/architecture.md, "Lint and format"). Type-aware: the rules that
// matter here (floating promises, `any` leaking across module boundaries) need the type checker.
// Formatting is Prettier's job (`prettier --check .` in `npm run lint`); nothing here restyles code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'src/generated/',
      'coverage/',
      'test-artifacts/',
      'bench/results/',
      '.brownian/',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // Files outside both tsconfigs (this file, bin/, scripts/*.mjs, prisma.config.ts) still get type
          // information; vitest.config.ts is in the root project through test/mutation/vitest.config.ts.
          allowDefaultProject: ['*.js', '*.mjs', 'bin/*.js', 'scripts/*.mjs', 'prisma.config.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Lines Prettier cannot wrap (strings, comments, URLs) still stay readable.
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The numeric code writes `values[i]!` on indexed reads, as `noUncheckedIndexedAccess` (on in web/) asks for;
      // under the root tsconfig this rule would strip ~700 of them and with them the mark of every unchecked read.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `async` without `await` implements Promise-returning interfaces (Apollo plugins, the pair kernels, async
      // iterators) and turns a throw into a rejection, which their callers rely on.
      '@typescript-eslint/require-await': 'off',
      // ESLint's scope analysis does not see reads inside parameter decorators (`@Arg(…, { defaultValue: x })`),
      // so it reports those constants as assigned and never used.
      'no-useless-assignment': 'off',
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Tests read GraphQL and HTTP bodies and manifests as untyped JSON and assert on their shape: the assertion is
    // the check, so `any` and the no-unsafe-* family (which wants every response typed first) are allowed there.
    // test/support/, whose helpers every other test file imports, keeps the whole rule set.
    files: ['test/**/*.ts'],
    ignores: ['test/support/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
