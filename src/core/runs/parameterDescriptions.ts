/**
 * Descriptions of run parameters that state their default, built from the default itself so that
 * the schema (`schema/schema.graphql`, generated) never disagrees with what a run gets.
 */
export function withDefault(description: string, value: number): string {
  return `${description}; default ${defaultText(value)}`;
}

/** Negative defaults print with a true minus sign, as the docs write them. */
export function defaultText(value: number): string {
  return value < 0 ? `−${String(-value)}` : String(value);
}
