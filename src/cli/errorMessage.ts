/**
 * What the CLI prints for an error that ends a command: one line with the error's stable code when
 * it has one and, for a failed network call, the URL it tried. The stack only with --verbose.
 */
export function errorMessage(error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return `error: ${String(error)}`;
  if (verbose) return error.stack ?? error.message;
  const code = (error as { code?: unknown }).code;
  const prefix = typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ` : '';
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `error: ${prefix}${error.message}${cause}`.replace(/\s*\n\s*/g, '; ');
}
