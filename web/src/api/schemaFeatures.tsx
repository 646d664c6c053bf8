import { createContext, useContext, type ReactNode } from 'react';
import { gql, useQuery } from 'urql';

/**
 * Which types and fields this API's schema has. Views for features other parts of the platform
 * add over time (variations, audits, pack status) appear when their fields exist, without a
 * rebuild of the dashboard against a particular schema version.
 */
export interface SchemaFeatures {
  has(type: string, field: string): boolean;
  fields(type: string): IntrospectedField[];
}

export interface IntrospectedField {
  name: string;
  /** The named type at the bottom of lists and non-nulls. */
  typeName: string;
  kind: string;
  isList: boolean;
  /** Whether the field takes arguments (generic views select only fields without). */
  hasArgs: boolean;
}

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

const introspection = gql`
  query SchemaFeatures {
    __schema {
      types {
        name
        fields {
          name
          args {
            name
          }
          type {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`;

function unwrap(ref: TypeRef): { typeName: string; kind: string; isList: boolean } {
  let isList = false;
  let current: TypeRef | null = ref;
  while (current && !current.name) {
    if (current.kind === 'LIST') isList = true;
    current = current.ofType;
  }
  return { typeName: current?.name ?? '', kind: current?.kind ?? '', isList };
}

const SchemaContext = createContext<SchemaFeatures | null>(null);

export function SchemaFeaturesProvider({ children }: { children: ReactNode }) {
  const [{ data, error }] = useQuery<{
    __schema: { types: { name: string; fields: { name: string; args: { name: string }[]; type: TypeRef }[] | null }[] };
  }>({
    query: introspection,
    requestPolicy: 'cache-first',
  });
  if (error) return <p className="error">Cannot read the API schema: {error.message}</p>;
  if (!data) return <p className="muted">Loading…</p>;
  const types = new Map(
    data.__schema.types.map((type) => [
      type.name,
      (type.fields ?? []).map((field) => ({ name: field.name, hasArgs: field.args.length > 0, ...unwrap(field.type) })),
    ]),
  );
  const features: SchemaFeatures = {
    has: (type, field) => types.get(type)?.some((f) => f.name === field) ?? false,
    fields: (type) => types.get(type) ?? [],
  };
  return <SchemaContext.Provider value={features}>{children}</SchemaContext.Provider>;
}

export function useSchemaFeatures(): SchemaFeatures {
  const features = useContext(SchemaContext);
  if (!features) throw new Error('useSchemaFeatures outside SchemaFeaturesProvider');
  return features;
}
