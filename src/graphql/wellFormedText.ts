/**
 * Text Postgres cannot store: NUL (refused by `text`) and unpaired UTF-16 surrogates (refused by
 * `jsonb`, silently replaced in `text`). Refused at the door, naming the field, so that no
 * statement fails half-way through a mutation.
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point of this pattern
const malformedText = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isMalformedText(value: string): boolean {
  return malformedText.test(value);
}

/** Path (`variables.input.name`) of the first string in a JSON value that Postgres cannot store. */
export function findMalformedText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isMalformedText(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findMalformedText(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const found = isMalformedText(key) ? `${path}.<key>` : findMalformedText(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

export const malformedTextMessage = 'contains a NUL character or an unpaired UTF-16 surrogate';
