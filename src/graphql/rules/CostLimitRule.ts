import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type ASTVisitor,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { defaultPageSize, maxPageSize } from '../connections.js';
import { ErrorCode } from '../errors.js';
import { FragmentFold, isIntrospectionRoot } from './selections.js';

/** What one `__schema` or `__type` costs: its answer is bounded by the schema, not by the data. */
export const introspectionCost = 1000;

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function isConnection(type: GraphQLOutputType): boolean {
  const named = getNamedType(type);
  return isCompositeType(named) && named.name.endsWith('Connection');
}

/**
 * How many child results each result of `field` may have: its `first` argument (a variable counts
 * as the largest page), else the default page size for lists and connections, else 1. A
 * connection's `edges` are already counted by the connection's page size.
 */
function fanOut(field: FieldNode, type: GraphQLOutputType | undefined): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  if (first?.value.kind === Kind.VARIABLE) return maxPageSize;
  if (type && field.name.value !== 'edges' && (isList(type) || isConnection(type))) return defaultPageSize;
  return 1;
}

/**
 * Refuses operations whose estimated cost exceeds `maxCost`: every field costs 1, times the
 * fan-out of every list or connection above it, seeing through fragment spreads and inline
 * fragments. Cost is linear in the fan-out, so each fragment's cost is computed once (at fan-out
 * 1) and scaled wherever it is spread: the rule is linear in the document, and a fragment that
 * doubles at every level costs what it would cost written out.
 */
export function CostLimitRule(maxCost: number) {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragments = new FragmentFold<number>(context, 0);
    const costOf = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (isIntrospectionRoot(selection)) {
            total += introspectionCost;
            continue;
          }
          const fields = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields() : undefined;
          const type = fields?.[selection.name.value]?.type;
          total += 1;
          if (selection.selectionSet)
            total += fanOut(selection, type) * costOf(selection.selectionSet, type && getNamedType(type));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          total += costOf(selection.selectionSet, condition ?? undefined);
        } else {
          total += fragments.of(selection.name.value, (fragment) =>
            costOf(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined),
          );
        }
      }
      return total;
    };
    return {
      OperationDefinition(operation) {
        const cost = costOf(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
        if (cost > maxCost) {
          const exact = Number.isSafeInteger(cost);
          const shown = exact ? String(cost) : `more than ${Number.MAX_SAFE_INTEGER}`;
          context.reportError(
            new GraphQLError(`query cost ${shown} exceeds the limit of ${maxCost}`, {
              nodes: operation,
              extensions: { code: ErrorCode.QueryTooComplex, cost: exact ? cost : null, limit: maxCost },
            }),
          );
        }
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}
