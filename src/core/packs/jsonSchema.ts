/** The part of JSON Schema (2020-12) that the model-pack manifest uses. */
export interface JsonSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  const?: JsonValue;
  enum?: JsonValue[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: false;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  oneOf?: JsonSchema[];
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface SchemaViolation {
  /** Dotted path of the offending value, e.g. `covariates[1].scale`; empty for the document itself. */
  path: string;
  message: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function hasType(value: unknown, type: NonNullable<JsonSchema['type']>): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

/** All violations of `schema` by `value`, in document order. */
export function validateJson(schema: JsonSchema, value: unknown, path = ''): SchemaViolation[] {
  const fail = (message: string): SchemaViolation[] => [{ path, message }];
  if (schema.type && !hasType(value, schema.type)) {
    return fail(
      `must be ${schema.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(schema.type) ? 'n' : ''} ${schema.type}`}, got ${typeOf(value)}`,
    );
  }
  if (schema.const !== undefined && JSON.stringify(value) !== JSON.stringify(schema.const)) {
    return fail(`must be ${JSON.stringify(schema.const)}`);
  }
  if (schema.enum && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    return fail(`must be one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`);
  }
  if (schema.oneOf) return validateOneOf(schema.oneOf, value, path);
  if (typeof value === 'string') return validateString(schema, value, path);
  if (typeof value === 'number') return validateNumber(schema, value, path);
  if (Array.isArray(value)) return validateArray(schema, value, path);
  if (isRecord(value)) return validateObject(schema, value, path);
  return [];
}

function validateOneOf(options: JsonSchema[], value: unknown, path: string): SchemaViolation[] {
  const results = options.map((option) => validateJson(option, value, path));
  const matching = results.filter((violations) => violations.length === 0).length;
  if (matching === 1) return [];
  if (matching > 1) return [{ path, message: 'matches more than one of the allowed forms' }];
  // The closest form (fewest violations) says most about what was meant.
  return results.reduce((best, violations) => (violations.length < best.length ? violations : best));
}

function validateString(schema: JsonSchema, value: string, path: string): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    violations.push({
      path,
      message: schema.minLength === 1 ? 'must not be empty' : `must have at least ${schema.minLength} characters`,
    });
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    violations.push({ path, message: `must have at most ${schema.maxLength} characters` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    violations.push({ path, message: `must match ${schema.pattern}` });
  }
  return violations;
}

function validateNumber(schema: JsonSchema, value: number, path: string): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  if (schema.minimum !== undefined && value < schema.minimum)
    violations.push({ path, message: `must be at least ${schema.minimum}` });
  if (schema.maximum !== undefined && value > schema.maximum)
    violations.push({ path, message: `must be at most ${schema.maximum}` });
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
    violations.push({ path, message: `must be greater than ${schema.exclusiveMinimum}` });
  }
  return violations;
}

function validateArray(schema: JsonSchema, value: unknown[], path: string): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  if (schema.minItems !== undefined && value.length < schema.minItems)
    violations.push({ path, message: `must have at least ${schema.minItems} items` });
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    violations.push({ path, message: `must have at most ${schema.maxItems} items` });
  if (schema.items) {
    const items = schema.items;
    value.forEach((item, index) => violations.push(...validateJson(items, item, `${path}[${index}]`)));
  }
  return violations;
}

function validateObject(schema: JsonSchema, value: Record<string, unknown>, path: string): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  for (const key of schema.required ?? []) {
    if (!(key in value)) violations.push({ path: childPath(path, key), message: 'is required' });
  }
  const properties = schema.properties ?? {};
  for (const [key, item] of Object.entries(value)) {
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (property) violations.push(...validateJson(property, item, childPath(path, key)));
    else if (schema.additionalProperties === false)
      violations.push({ path: childPath(path, key), message: 'is not an allowed field' });
  }
  return violations;
}
