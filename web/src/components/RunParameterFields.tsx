import { parseRunParameter, type RunParameter } from '../runParameters';

/** Field name of a run parameter's input; also its key in the texts a form keeps. */
export const runParameterField = (parameter: RunParameter): string => `generatorInput.${parameter.key}`;

/**
 * One field per constant generator input the pack lets runs set (EG3D's camera), for every form that
 * starts a run; `blank` says what an empty field means there (the pack's default, the parent run's).
 */
export function RunParameterFields({
  parameters,
  texts,
  onChange,
  blank,
}: {
  parameters: RunParameter[];
  texts: Readonly<Record<string, string>>;
  onChange: (field: string, text: string) => void;
  blank: string;
}) {
  return (
    <>
      {parameters.map((parameter) => (
        <label key={parameter.key}>
          {`Generator input ${parameter.key} (${parameter.count} numbers; blank: ${blank})`}
          <input
            name={runParameterField(parameter)}
            value={texts[runParameterField(parameter)] ?? ''}
            onChange={(event) => onChange(runParameterField(parameter), event.target.value)}
          />
        </label>
      ))}
    </>
  );
}

/**
 * The generatorInputs of a run's input from the fields' texts (blank fields left out), or the first
 * field's error, so that a wrong count is refused before anything is sent.
 */
export function generatorInputsOf(
  parameters: RunParameter[],
  texts: Readonly<Record<string, string>>,
): { inputs: { name: string; values: number[] }[]; error?: string } {
  const inputs: { name: string; values: number[] }[] = [];
  for (const parameter of parameters) {
    const parsed = parseRunParameter(parameter, texts[runParameterField(parameter)] ?? '');
    if (parsed.error) return { inputs: [], error: parsed.error };
    if (parsed.values) inputs.push({ name: parameter.key, values: parsed.values });
  }
  return { inputs };
}
