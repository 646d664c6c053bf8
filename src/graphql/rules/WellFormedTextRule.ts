import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import { ErrorCode } from '../errors.js';
import { isMalformedText, malformedTextMessage } from '../wellFormedText.js';

/** String literals in the document must be text Postgres can store (variables are checked on arrival). */
export function WellFormedTextRule(context: ValidationContext): ASTVisitor {
  return {
    StringValue(node) {
      if (!isMalformedText(node.value)) return;
      const field = context.getArgument()?.name ?? 'a string literal';
      context.reportError(
        new GraphQLError(`Invalid input: ${field}: ${malformedTextMessage}`, {
          nodes: node,
          extensions: { code: ErrorCode.BadUserInput, field, problems: [{ field, message: malformedTextMessage }] },
        }),
      );
    },
  };
}
