import { StoredJsonError } from '../db/json.js';
import { isRecord } from '../packs/jsonSchema.js';
import type { ConstantInputSpec } from '../packs/manifest.js';
import type { ParameterProblem } from './parameterProblems.js';

/** One value a run gives for a constant generator input the pack lets runs set (EG3D's camera c). */
export interface GeneratorInputValue {
  /** The input's `runParameter` key in the pack manifest, e.g. "camera". */
  name: string;
  values: number[];
}

/**
 * Run.parameters.generatorInputs: the constant generator inputs this run sets, by `runParameter` key.
 * Inputs the run leaves out keep the pack's values, which the pack digest already pins.
 */
export type RunGeneratorInputs = Record<string, number[]>;

/** The settable inputs: `runParameter` key → values one sample needs. */
function settableInputs(inputs: readonly ConstantInputSpec[]): Map<string, number> {
  return new Map(
    inputs.flatMap((input) =>
      input.runParameter === undefined ? [] : [[input.runParameter, input.dims.reduce((a, b) => a * b, 1)] as const],
    ),
  );
}

/**
 * `given` checked against the pack's declared constant inputs: each name a `runParameter` of the
 * manifest, once, with exactly as many finite values as the input's dims hold. Problems name
 * `${field}[i].name` or `${field}[i].values`; `inherited` (a parent run's) fills the names not given.
 */
export function checkGeneratorInputs(
  given: readonly GeneratorInputValue[] | undefined,
  pack: { name: string; constantInputs: readonly ConstantInputSpec[] },
  field: string,
  problems: ParameterProblem[],
  inherited: RunGeneratorInputs = {},
): RunGeneratorInputs {
  const settable = settableInputs(pack.constantInputs);
  const resolved: RunGeneratorInputs = { ...inherited };
  const seen = new Set<string>();
  (given ?? []).forEach(({ name, values }, index) => {
    const path = `${field}[${index}]`;
    const count = settable.get(name);
    if (count === undefined) {
      const names = [...settable.keys()];
      problems.push({
        field: `${path}.name`,
        message:
          `model pack "${pack.name}" takes no generator input "${name}" (it takes ` +
          `${names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'none'})`,
      });
    } else if (seen.has(name)) {
      problems.push({ field: `${path}.name`, message: `"${name}" is given more than once` });
    } else if (values.length !== count) {
      problems.push({ field: `${path}.values`, message: `has ${values.length} numbers; "${name}" takes ${count}` });
    } else if (!values.every(Number.isFinite)) {
      problems.push({ field: `${path}.values`, message: 'must be finite numbers' });
    } else {
      resolved[name] = [...values];
    }
    seen.add(name);
  });
  return resolved;
}

/** Run.parameters.generatorInputs read back; runs stored before runs could set generator inputs have none. */
export function decodeGeneratorInputs(value: unknown, path: string): RunGeneratorInputs {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new StoredJsonError(`${path} should be an object`);
  const inputs: RunGeneratorInputs = {};
  for (const [name, values] of Object.entries(value)) {
    if (!Array.isArray(values) || !values.every((v): v is number => typeof v === 'number' && Number.isFinite(v)))
      throw new StoredJsonError(`${path}.${name} should be an array of finite numbers`);
    inputs[name] = values;
  }
  return inputs;
}
