import type { FieldNode, FragmentDefinitionNode, ValidationContext } from 'graphql';

/** Introspection roots: their answers are bounded by the schema, and graphql-js's MaxIntrospectionDepthRule bounds their nesting. */
export function isIntrospectionRoot(field: FieldNode): boolean {
  return field.name.value === '__schema' || field.name.value === '__type';
}

/**
 * A per-fragment cache for rules that fold a value over selection sets: each fragment is folded
 * once, however many times it is spread, so a rule stays linear in the document (fragment bombs
 * that double at every level cost one visit per fragment). A spread that reaches a fragment
 * still being folded is a cycle, which NoFragmentCyclesRule reports; here it counts as `onCycle`.
 */
export class FragmentFold<T> {
  private readonly done = new Map<string, T>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly context: ValidationContext,
    private readonly onCycle: T,
  ) {}

  of(name: string, fold: (fragment: FragmentDefinitionNode) => T): T {
    const cached = this.done.get(name);
    if (cached !== undefined) return cached;
    const fragment = this.context.getFragment(name);
    if (!fragment || this.inProgress.has(name)) return this.onCycle;
    this.inProgress.add(name);
    const value = fold(fragment);
    this.inProgress.delete(name);
    this.done.set(name, value);
    return value;
  }
}
