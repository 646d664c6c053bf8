import { buildSchema, parse, validate, type ValidationRule } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CostLimitRule, introspectionCost } from '../../../src/graphql/rules/CostLimitRule.js';
import { DepthLimitRule } from '../../../src/graphql/rules/DepthLimitRule.js';

const schema = buildSchema(`
  type Query { runs(first: Int): RunConnection  run: Run  node: Node }
  interface Node { id: ID }
  type RunConnection { edges: [RunEdge] totalCount: Int }
  type RunEdge { node: Run }
  type Run implements Node { id: ID parent: Run identities(first: Int): IdentityConnection }
  type IdentityConnection { edges: [IdentityEdge] }
  type IdentityEdge { node: Identity }
  type Identity { latent: [Float] embedding: [Float] }
`);

function errorsOf(query: string, rule: ValidationRule): string[] {
  return validate(schema, parse(query), [rule]).map((e) => e.message);
}

/** `{ ...F0 }` with F_i spreading F_{i+1} twice: written out, 2^levels leaves. */
function fragmentBomb(levels: number, leaf: string): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Run { ...F${i + 1} ...F${i + 1} }`);
  return `{ run { ...F0 } } ${fragments.join(' ')} fragment F${levels} on Run { ${leaf} }`;
}

describe('DepthLimitRule', () => {
  it('counts field nesting through fragments and inline fragments', () => {
    const deep =
      '{ run { ...A } } fragment A on Run { parent { ... on Run { parent { ...B } } } } fragment B on Run { parent { id } }';
    expect(errorsOf(deep, DepthLimitRule(5))).toEqual([]);
    expect(errorsOf(deep, DepthLimitRule(4))).toEqual(['query depth 5 exceeds the limit of 4']);
  });

  it('visits each fragment once: a 200-level fragment bomb is judged at once', () => {
    const started = process.hrtime.bigint();
    expect(errorsOf(fragmentBomb(200, 'id'), DepthLimitRule(10))).toEqual([]);
    // 2^200 paths written out; memoised it is 200 fragment visits. Generous bound for a busy machine.
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
  });

  it('treats a fragment cycle as no extra depth (NoFragmentCyclesRule reports the cycle)', () => {
    expect(errorsOf('{ run { ...A } } fragment A on Run { parent { ...A } }', DepthLimitRule(10))).toEqual([]);
  });

  it('lets introspection through whatever its nesting (MaxIntrospectionDepthRule bounds it)', () => {
    const query =
      '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }';
    expect(errorsOf(query, DepthLimitRule(3))).toEqual([]);
  });
});

describe('CostLimitRule', () => {
  const big = 'runs(first: 200) { edges { node { identities(first: 200) { edges { node { latent embedding } } } } } }';

  it('refuses the same selection inline and inside fragments', () => {
    expect(errorsOf(`{ ${big} }`, CostLimitRule(20000))).toHaveLength(1);
    const viaFragments = `{ ...Q } fragment Q on Query { runs(first: 200) { edges { node { ...R } } } }
      fragment R on Run { ... on Run { identities(first: 200) { edges { node { ...I } } } } } fragment I on Identity { latent embedding }`;
    const [message] = errorsOf(viaFragments, CostLimitRule(20000));
    expect(message).toMatch(/^query cost \d+ exceeds the limit of 20000$/);
    expect(errorsOf(`{ ${big} }`, CostLimitRule(20000))[0]).toBe(message);
  });

  it('costs a fragment bomb what it would cost written out, without writing it out', () => {
    expect(errorsOf(fragmentBomb(10, 'id'), CostLimitRule(2000))).toEqual([]);
    // 1 (run) + 2^10 leaves: over a limit of 1000, under 2000.
    expect(errorsOf(fragmentBomb(10, 'id'), CostLimitRule(1000))).toEqual([
      'query cost 1025 exceeds the limit of 1000',
    ]);
    expect(errorsOf(fragmentBomb(300, 'id'), CostLimitRule(20000))).toEqual([
      `query cost more than ${Number.MAX_SAFE_INTEGER} exceeds the limit of 20000`,
    ]);
  });

  it('gives each introspection root a fixed cost', () => {
    expect(errorsOf('{ __schema { types { name } } }', CostLimitRule(introspectionCost))).toEqual([]);
    const aliased = Array.from({ length: 3 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ');
    expect(errorsOf(`{ ${aliased} }`, CostLimitRule(2 * introspectionCost))).toHaveLength(1);
  });
});
