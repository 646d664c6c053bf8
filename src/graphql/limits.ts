import {
  GraphQLError,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  type ASTVisitor,
  type FieldNode,
  type GraphQLOutputType,
  type ValidationContext,
  Kind,
} from 'graphql';
import { defaultPageSize, maxPageSize } from './connections.js';
import { ErrorCode } from './errors.js';

/**
 * Introspection (`__schema`, `__type`) is bounded by the schema's size, and its nesting through
 * `ofType`/`fields` by graphql-js's MaxIntrospectionDepthRule (in specifiedRules), so these limits
 * leave it out: GraphiQL's and the dashboard's introspection queries are deeper than any data query.
 */
function isIntrospection(node: FieldNode): boolean {
  return node.name.value === '__schema' || node.name.value === '__type';
}

function tooComplex(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QueryTooComplex } });
}

/** Refuses operations nested deeper than `maxDepth` fields (fragments are followed). */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])));
    const depthOf = (node: { selectionSet?: { selections: readonly import('graphql').SelectionNode[] } }, seen: Set<string>): number => {
      let deepest = 0;
      for (const selection of node.selectionSet?.selections ?? []) {
        if (selection.kind === Kind.FIELD) {
          if (isIntrospection(selection)) continue;
          deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection, seen) : 1);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name)) deepest = Math.max(deepest, depthOf(fragment, new Set([...seen, name])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation, new Set());
        if (depth > maxDepth) {
          context.reportError(tooComplex(`query depth ${depth} exceeds the limit of ${maxDepth}`));
        }
      },
    };
  };
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function isConnection(type: GraphQLOutputType): boolean {
  const named = getNamedType(type);
  return isCompositeType(named) && named.name.endsWith('Connection');
}

/**
 * Estimated cost: every field costs 1, and everything below a list or connection is multiplied by
 * its `first` argument (a variable counts as the largest page; absent, the default page size; a
 * connection's `edges` are already counted by its page size), so one query cannot ask for millions of rows.
 */
export function complexityLimit(maxComplexity: number) {
  return (context: ValidationContext): ASTVisitor => {
    const multipliers: number[] = [1];
    let total = 0;
    return {
      Field: {
        enter(node: FieldNode) {
          const factor = isIntrospection(node) ? 0 : multipliers.at(-1)!;
          total += factor;
          const type = context.getFieldDef()?.type;
          let childFactor = factor;
          const firstArg = node.arguments?.find((a) => a.name.value === 'first');
          if (firstArg && firstArg.value.kind === Kind.INT) childFactor *= Math.max(1, Number(firstArg.value.value));
          else if (firstArg && firstArg.value.kind === Kind.VARIABLE) childFactor *= maxPageSize;
          else if (type && node.name.value !== 'edges' && (isList(type) || isConnection(type))) childFactor *= defaultPageSize;
          multipliers.push(childFactor);
        },
        leave() {
          multipliers.pop();
        },
      },
      OperationDefinition: {
        leave() {
          if (total > maxComplexity) {
            context.reportError(tooComplex(`query complexity ${total} exceeds the limit of ${maxComplexity}`));
          }
          total = 0;
        },
      },
    };
  };
}
