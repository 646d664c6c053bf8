import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, type GraphQLInputObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';
import { DEFAULT_DISPERSION_PARAMS } from '../../../src/core/runs/dispersionParams.js';
import {
  defaultDispersionCheckpointEvery,
  defaultPrincipalDirections,
  defaultShardSize,
} from '../../../src/core/runs/dispersionRunParameters.js';
import { DEFAULT_LANGEVIN_CHECKPOINT_EVERY, DEFAULT_LANGEVIN_PARAMS } from '../../../src/core/runs/langevinParams.js';
import { defaultText } from '../../../src/core/runs/parameterDescriptions.js';

/** The committed schema (kept current by test/graphql/schemaFile.test.ts), as clients read it. */
const schema = buildSchema(readFileSync(join(packageRoot, 'schema', 'schema.graphql'), 'utf8'));

function stated(type: string, field: string): string | undefined {
  const description = (schema.getType(type) as GraphQLInputObjectType).getFields()[field]?.description ?? '';
  return /default (−?[\d.]+)/i.exec(description)?.[1];
}

describe('the defaults the schema states for run inputs', () => {
  it('are the ones a Langevin run gets', () => {
    const { truncationPsi: _fromPack, ...defaults } = DEFAULT_LANGEVIN_PARAMS;
    for (const [field, value] of Object.entries({ ...defaults, checkpointEvery: DEFAULT_LANGEVIN_CHECKPOINT_EVERY }))
      expect({ field, stated: stated('LangevinRunInput', field) }).toEqual({ field, stated: defaultText(value) });
  });

  it('are the ones a Dispersion or DisCo run gets', () => {
    const { variations, ...defaults } = DEFAULT_DISPERSION_PARAMS;
    const expected = {
      ...defaults,
      numVariations: variations,
      shardSize: defaultShardSize,
      checkpointEvery: defaultDispersionCheckpointEvery,
      principalDirections: defaultPrincipalDirections,
    };
    for (const [field, value] of Object.entries(expected))
      expect({ field, stated: stated('DispersionRunInput', field) }).toEqual({ field, stated: defaultText(value) });
  });

  it('print negative values with a minus sign', () => {
    expect(stated('LangevinRunInput', 'timestep')).toBe('−0.3');
  });
});
