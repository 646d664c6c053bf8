/**
 * The PROV data model as a stream of statements, independent of how it is written out. PROV-JSON
 * (provJson.ts) and PROV-N (provN.ts) are two writers of the same stream, so a document built in
 * memory for `provenance(id)` and one streamed to a file by a worker hold the same statements.
 */

/** Record kinds this platform emits, each with its formal attributes in PROV-N's positional order. */
export const formalAttributes = {
  entity: [],
  activity: ['prov:startTime', 'prov:endTime'],
  agent: [],
  wasGeneratedBy: ['prov:entity', 'prov:activity', 'prov:time'],
  used: ['prov:activity', 'prov:entity', 'prov:time'],
  wasDerivedFrom: ['prov:generatedEntity', 'prov:usedEntity', 'prov:activity', 'prov:generation', 'prov:usage'],
  wasAssociatedWith: ['prov:activity', 'prov:agent', 'prov:plan'],
  wasInformedBy: ['prov:informed', 'prov:informant'],
  wasAttributedTo: ['prov:entity', 'prov:agent'],
  hadMember: ['prov:collection', 'prov:entity'],
} as const satisfies Record<string, readonly string[]>;

export type ProvKind = keyof typeof formalAttributes;
export const provKinds = Object.keys(formalAttributes) as ProvKind[];

/** A qualified name as an attribute value (`prov:type`, a role): PROV-JSON's `prov:QUALIFIED_NAME` literal. */
export interface QualifiedNameValue {
  readonly qualifiedName: string;
}

/** A literal of an explicit datatype, e.g. JSON text typed `brownian:json` or a time typed `xsd:dateTime`. */
export interface TypedLiteral {
  readonly literal: string;
  readonly datatype: string;
}

/**
 * PROV attribute values are literals: strings, integers, qualified names and typed literals. Nested
 * JSON is not a PROV value (python-prov rejects it), so JSON goes in as text typed `brownian:json`.
 */
export type ProvValue = string | number | QualifiedNameValue | TypedLiteral;

export interface ProvStatement {
  kind: ProvKind;
  /** Elements (entity, activity, agent) have one; relations here are anonymous. */
  id?: string;
  /** Formal attributes (qualified names of the related elements, times) and extra attributes alike. */
  attributes: Record<string, ProvValue>;
}

export function qualifiedName(name: string): QualifiedNameValue {
  return { qualifiedName: name };
}

export function jsonLiteral(value: unknown): TypedLiteral {
  return { literal: JSON.stringify(value), datatype: 'brownian:json' };
}

export function dateTime(value: Date): TypedLiteral {
  return { literal: value.toISOString(), datatype: 'xsd:dateTime' };
}

export function isQualifiedName(value: ProvValue): value is QualifiedNameValue {
  return typeof value === 'object' && 'qualifiedName' in value;
}

export function isTypedLiteral(value: ProvValue): value is TypedLiteral {
  return typeof value === 'object' && 'literal' in value;
}
