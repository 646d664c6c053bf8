/** A constant generator input a run may set (EG3D's camera), read from a pack's manifest. */
export interface RunParameter {
  /** The manifest's runParameter key, sent as GeneratorInputValueInput.name. */
  key: string;
  /** Values one sample takes (the product of the input's dims): 25 for EG3D's camera. */
  count: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The run parameters a pack declares in manifest.generator.constantInputs; none when the manifest has no such field. */
export function runParameters(manifest: unknown): RunParameter[] {
  const generator = isRecord(manifest) ? manifest.generator : undefined;
  const inputs = isRecord(generator) && Array.isArray(generator.constantInputs) ? generator.constantInputs : [];
  return inputs.flatMap((input: unknown) => {
    if (!isRecord(input) || typeof input.runParameter !== 'string' || !Array.isArray(input.dims)) return [];
    const count = input.dims.reduce((a: number, d: unknown) => a * (typeof d === 'number' ? d : Number.NaN), 1);
    return Number.isInteger(count) ? [{ key: input.runParameter, count }] : [];
  });
}

/**
 * Numbers typed into a run parameter's field, separated by commas or spaces; an error names the field
 * when they are not `count` finite numbers. A blank field means the pack's default (undefined).
 */
export function parseRunParameter(parameter: RunParameter, text: string): { values?: number[]; error?: string } {
  if (text.trim() === '') return {};
  const values = text
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (values.length !== parameter.count || !values.every(Number.isFinite)) {
    return { error: `${parameter.key}: expected ${parameter.count} numbers, got "${text.trim().slice(0, 60)}"` };
  }
  return { values };
}
