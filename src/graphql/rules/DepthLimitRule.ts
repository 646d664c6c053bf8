import { GraphQLError, type ASTVisitor, type SelectionSetNode, type ValidationContext, Kind } from 'graphql';
import { ErrorCode } from '../errors.js';
import { FragmentFold, isIntrospectionRoot } from './selections.js';

/**
 * Refuses operations whose fields nest deeper than `maxDepth`, seeing through fragment spreads
 * and inline fragments (which add no depth). Each fragment's depth is computed once, so the rule
 * is linear in the document. Introspection roots count as one level: the standard introspection
 * query nests `ofType` ~9 deep, and MaxIntrospectionDepthRule already bounds introspection.
 */
export function DepthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new FragmentFold<number>(context, 0);
    const depthOf = (set: SelectionSetNode): number => {
      let deepest = 0;
      for (const selection of set.selections) {
        let depth: number;
        if (selection.kind === Kind.FIELD) {
          depth = selection.selectionSet && !isIntrospectionRoot(selection) ? 1 + depthOf(selection.selectionSet) : 1;
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet);
        } else {
          depth = fragments.of(selection.name.value, (fragment) => depthOf(fragment.selectionSet));
        }
        deepest = Math.max(deepest, depth);
      }
      return deepest;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, {
              nodes: operation,
              extensions: { code: ErrorCode.QueryTooComplex, depth, limit: maxDepth },
            }),
          );
        }
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}
