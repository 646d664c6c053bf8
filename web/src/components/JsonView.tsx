/** A JSON value as readable, collapsible text (run parameters, PROV-JSON). */
export function JsonView({ value, summary, open = false }: { value: unknown; summary: string; open?: boolean }) {
  return (
    <details className="json" open={open}>
      <summary>{summary}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}
