import { provPrefixes } from './namespaces.js';
import { formalAttributes, isQualifiedName, isTypedLiteral, type ProvStatement, type ProvValue } from './statements.js';

/** A PROV-N string literal (https://www.w3.org/TR/prov-n/ STRING_LITERAL): backslash, quote and line breaks escaped. */
function stringLiteral(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function provNValue(value: ProvValue): string {
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : `${stringLiteral(String(value))} %% xsd:double`;
  if (isQualifiedName(value)) return `'${value.qualifiedName}'`;
  return `${stringLiteral(value.literal)} %% ${value.datatype}`;
}

/** Formal attributes are positional: a qualified name, a time (bare xsd:dateTime), or `-` when absent. */
function formalValue(value: ProvValue | undefined): string {
  if (value === undefined) return '-';
  if (isTypedLiteral(value)) return value.literal;
  if (isQualifiedName(value)) return value.qualifiedName;
  return String(value);
}

export function provNStatement(statement: ProvStatement): string {
  const formal: readonly string[] = formalAttributes[statement.kind];
  const items = [
    ...(statement.id ? [statement.id] : []),
    ...formal.map((name) => formalValue(statement.attributes[name])),
  ];
  const extra = Object.entries(statement.attributes)
    .filter(([name]) => !formal.includes(name))
    .map(([name, value]) => `${name}=${provNValue(value)}`);
  if (extra.length > 0) items.push(`[${extra.join(', ')}]`);
  return `${statement.kind}(${items.join(', ')})`;
}

/** PROV-N, one statement per line, in the order the graph yields them: nothing is buffered. */
export async function* streamProvN(statements: AsyncIterable<ProvStatement>): AsyncGenerator<string> {
  yield 'document\n';
  for (const [prefix, uri] of Object.entries(provPrefixes)) {
    if (prefix !== 'xsd') yield `  prefix ${prefix} <${uri}>\n`;
  }
  for await (const statement of statements) yield `  ${provNStatement(statement)}\n`;
  yield 'endDocument\n';
}
