import type { CombinedError } from 'urql';

/** GraphQL errors as the API words them (with their code), never a stack trace. */
export function ErrorBox({ error }: { error: CombinedError | Error | undefined | null }) {
  if (!error) return null;
  const graphQLErrors = 'graphQLErrors' in error ? error.graphQLErrors : [];
  const messages = graphQLErrors.length
    ? graphQLErrors.map((e) => `${typeof e.extensions?.code === 'string' ? e.extensions.code : 'ERROR'}: ${e.message}`)
    : [error.message];
  return (
    <div className="error" role="alert">
      {messages.map((message) => (
        <p key={message}>{message}</p>
      ))}
    </div>
  );
}
