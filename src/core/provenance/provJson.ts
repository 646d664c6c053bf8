import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { provPrefixes } from './namespaces.js';
import {
  isQualifiedName,
  isTypedLiteral,
  provKinds,
  type ProvKind,
  type ProvStatement,
  type ProvValue,
} from './statements.js';

type JsonValue = string | number | { $: string; type: string };

/**
 * PROV-JSON (W3C member submission, https://www.w3.org/submissions/prov-json/): strings and
 * integers as they are, qualified names as `{"$": name, "type": "prov:QUALIFIED_NAME"}`, other
 * literals as `{"$": text, "type": datatype}`. Non-integer numbers are written as xsd:double text,
 * since a JSON number with a fraction reads back as a float of another precision.
 */
export function provJsonValue(value: ProvValue): JsonValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value : { $: String(value), type: 'xsd:double' };
  if (isQualifiedName(value)) return { $: value.qualifiedName, type: 'prov:QUALIFIED_NAME' };
  return { $: value.literal, type: value.datatype };
}

/** Formal attributes of relations name elements, and PROV-JSON writes those as plain qualified-name strings. */
function jsonAttributes(statement: ProvStatement): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(statement.attributes)) {
    const isTime = name === 'prov:startTime' || name === 'prov:endTime' || name === 'prov:time';
    out[name] = isTime && isTypedLiteral(value) ? value.literal : provJsonValue(value);
  }
  return out;
}

export type ProvJsonDocument = { prefix: Record<string, string> } & Partial<Record<ProvKind, Record<string, object>>>;

export class ProvenanceTooLargeError extends Error {
  override readonly name = 'ProvenanceTooLargeError';
  constructor(readonly limit: number) {
    super(`the document has more than ${limit} statements`);
  }
}

/** The whole document in memory: for subjects whose statements are known to be few (`limit` enforces it). */
export async function collectProvJson(
  statements: AsyncIterable<ProvStatement>,
  limit: number,
): Promise<ProvJsonDocument> {
  const document: ProvJsonDocument = { prefix: { ...provPrefixes } };
  let count = 0;
  let relationIds = 0;
  for await (const statement of statements) {
    if (++count > limit) throw new ProvenanceTooLargeError(limit);
    const records = (document[statement.kind] ??= {});
    records[statement.id ?? `_:r${++relationIds}`] = jsonAttributes(statement);
  }
  return document;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * The same document streamed: statements arrive in the graph's order, but PROV-JSON groups them by
 * kind, so each kind is spooled to a temporary file and the files are joined at the end. Memory
 * stays at one statement; the temporary folder is removed whatever happens.
 */
export async function* streamProvJson(statements: AsyncIterable<ProvStatement>): AsyncGenerator<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brownian-prov-'));
  try {
    const spools = new Map<ProvKind, { stream: WriteStream; count: number }>();
    let relationIds = 0;
    for await (const statement of statements) {
      let spool = spools.get(statement.kind);
      if (!spool) {
        spool = { stream: createWriteStream(join(dir, statement.kind)), count: 0 };
        spools.set(statement.kind, spool);
      }
      const id = statement.id ?? `_:r${++relationIds}`;
      await write(
        spool.stream,
        `${spool.count++ ? ',' : ''}\n${JSON.stringify(id)}:${JSON.stringify(jsonAttributes(statement))}`,
      );
    }
    await Promise.all([...spools.values()].map(async ({ stream }) => new Promise((done) => stream.end(done))));
    yield `{"prefix":${JSON.stringify(provPrefixes)}`;
    for (const kind of provKinds) {
      if (!spools.has(kind)) continue;
      yield `,\n${JSON.stringify(kind)}:{`;
      for await (const chunk of createReadStream(join(dir, kind), { encoding: 'utf8' })) yield chunk as string;
      yield '}';
    }
    yield '}\n';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
