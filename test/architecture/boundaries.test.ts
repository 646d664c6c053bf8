import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { violationsOf, violationsUnder } from './importRules.js';

describe('the boundary between the API and the workers', () => {
  it('holds across every source file', () => {
    const { files, violations } = violationsUnder(packageRoot);
    expect(files).toBeGreaterThan(100);
    expect(violations.map((v) => `${v.file} imports ${v.specifier}: ${v.rule}`)).toEqual([]);
  });

  it('catches an API file importing the worker', () => {
    const text = "import { loadPack } from '../../../services/worker/src/pack/loadPack.js';";
    expect(violationsOf('src/graphql/resolvers/X.ts', text)).toEqual([
      {
        file: 'src/graphql/resolvers/X.ts',
        specifier: '../../../services/worker/src/pack/loadPack.js',
        rule: 'API may not import services/',
      },
    ]);
  });

  it('catches the worker importing the GraphQL, server or auth layers, including type-only imports', () => {
    const text = [
      "import type { GraphQLContext } from '../../../../src/graphql/context.js';",
      "export { startApiServer } from '../../../../src/server/httpServer.js';",
      "const roles = await import('../../../../src/auth/roles.js');",
    ].join('\n');
    expect(violationsOf('services/worker/src/jobs/x.ts', text).map((v) => v.rule)).toEqual([
      'worker may not import src/graphql/',
      'worker may not import src/server/',
      'worker may not import src/auth/',
    ]);
  });

  it('catches the core loading onnxruntime or GraphQL, and the API loading onnxruntime', () => {
    expect(
      violationsOf(
        'src/core/runs/x.ts',
        "import * as ort from 'onnxruntime-node';\nimport { Field } from 'type-graphql';",
      ).map((v) => v.rule),
    ).toEqual(['core may not load onnxruntime-node', 'core may not load type-graphql']);
    expect(violationsOf('src/graphql/x.ts', "import 'onnxruntime-node';").map((v) => v.rule)).toEqual([
      'API may not load onnxruntime-node',
    ]);
  });

  it('lets the composition roots import both sides', () => {
    const text =
      "import { startWorker } from '../../services/worker/src/startWorker.js';\nimport { createSchema } from '../graphql/schema.js';";
    expect(violationsOf('src/platform/platform.ts', text)).toEqual([]);
    expect(
      violationsOf('src/core/db/client.ts', "import { RunStatus } from '../../generated/prisma/enums.js';"),
    ).toEqual([]);
  });
});
