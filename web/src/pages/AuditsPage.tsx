import { gql, useQuery } from 'urql';
import { Link } from 'wouter';
import { useSchemaFeatures, type IntrospectedField, type SchemaFeatures } from '../api/schemaFeatures';
import { ErrorBox } from '../components/ErrorBox';
import { JsonView } from '../components/JsonView';

/**
 * Leakage audits, read through whatever audit type the schema has: the page finds the list and
 * single-audit queries by introspection and shows the audit's scalar fields, so it follows the
 * audit API as it grows instead of pinning one version of it.
 */
interface AuditApi {
  listField: string;
  connection: boolean;
  detailField: string | null;
  scalars: IntrospectedField[];
}

function auditApi(features: SchemaFeatures): AuditApi | null {
  const list = features.fields('Query').find((f) => /audits$/i.test(f.name));
  if (!list) return null;
  const connection = !list.isList && features.has(list.typeName, 'edges');
  const nodeType = connection ? (features.fields(list.typeName).find((f) => f.name === 'edges')?.typeName ?? '') : list.typeName;
  const auditType = connection ? (features.fields(nodeType).find((f) => f.name === 'node')?.typeName ?? '') : nodeType;
  const detail = features.fields('Query').find((f) => f.typeName === auditType && !f.isList && f.hasArgs);
  const scalars = features.fields(auditType).filter((f) => (f.kind === 'SCALAR' || f.kind === 'ENUM') && !f.hasArgs && !f.isList);
  return { listField: list.name, connection, detailField: detail?.name ?? null, scalars };
}

export function AuditsPage({ id }: { id?: string }) {
  const api = auditApi(useSchemaFeatures());
  if (!api) {
    return (
      <section>
        <h1>Audits</h1>
        <p className="muted">This API has no leakage audits yet.</p>
      </section>
    );
  }
  return id && api.detailField ? <AuditDetail api={api} id={id} /> : <AuditList api={api} />;
}

function AuditList({ api }: { api: AuditApi }) {
  const selection = api.scalars.map((f) => f.name).join(' ');
  const [{ data, error }] = useQuery<Record<string, unknown>>({
    query: gql(`query AuditList { ${api.listField}${api.connection ? ` { edges { node { ${selection} } } }` : ` { ${selection} }`} }`),
  });
  const value = data?.[api.listField];
  const audits = (api.connection ? ((value as { edges?: { node: Record<string, unknown> }[] })?.edges ?? []).map((e) => e.node) : value) as
    | Record<string, unknown>[]
    | undefined;
  return (
    <section>
      <h1>Audits</h1>
      <ErrorBox error={error} />
      <table>
        <thead>
          <tr>
            {api.scalars.map((f) => (
              <th key={f.name}>{f.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {audits?.map((audit) => (
            <tr key={String(audit.id)}>
              {api.scalars.map((f) => (
                <td key={f.name}>
                  {f.name === 'id' && api.detailField ? <Link href={`/audits/${String(audit.id)}`}>{String(audit.id).slice(0, 8)}</Link> : cell(audit[f.name])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AuditDetail({ api, id }: { api: AuditApi; id: string }) {
  const selection = api.scalars.map((f) => f.name).join(' ');
  const [{ data, error }] = useQuery<Record<string, Record<string, unknown> | null>>({
    query: gql(`query AuditDetail($id: ID!) { ${api.detailField}(id: $id) { ${selection} } }`),
    variables: { id },
  });
  const audit = data?.[api.detailField ?? ''];
  return (
    <section>
      <h1>Audit {id.slice(0, 8)}</h1>
      <ErrorBox error={error} />
      {audit && (
        <table className="params">
          <tbody>
            {api.scalars.map((f) => (
              <tr key={f.name}>
                <th>{f.name}</th>
                <td>{typeof audit[f.name] === 'object' && audit[f.name] !== null ? <JsonView value={audit[f.name]} summary="show" /> : cell(audit[f.name])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
