import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useLocation } from 'wouter';
import { modelPacksQuery, startLangevinRunMutation } from '../api/documents';
import { nodes, type Connection, type ModelPack } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { generatorInputsOf, RunParameterFields } from '../components/RunParameterFields';
import { runParameters } from '../runParameters';

/** Optional numeric fields of LangevinRunInput; left blank, the API fills in the paper's defaults. */
const optionalFields: { name: string; label: string; integer?: boolean }[] = [
  { name: 'batchSize', label: 'Batch size', integer: true },
  { name: 'ict', label: 'ICT (rad)' },
  { name: 'repulsionRadius', label: 'Repulsion radius d0 (rad)' },
  { name: 'repulsionCoefficient', label: 'Repulsion coefficient k' },
  { name: 'timestep', label: 'Time step (negative: adaptive)' },
  { name: 'viscosity', label: 'Viscosity μ' },
  { name: 'randomForce', label: 'Random force η' },
  { name: 'latentForce', label: 'Latent force k_l' },
  { name: 'truncationPsi', label: 'Truncation ψ' },
];

/** Starts a Langevin run; the API validates every field and names a bad one in its error. */
export function StartRunPage() {
  const [{ data: packs }] = useQuery<{ modelPacks: Connection<ModelPack> }>({ query: modelPacksQuery });
  // Runs start only on packs a worker has dry-run.
  const packList = nodes(packs?.modelPacks).filter((pack) => pack.status === 'READY');
  const [state, start] = useMutation<{ startLangevinRun: { id: string } }>(startLangevinRunMutation);
  const [, navigate] = useLocation();
  const [values, setValues] = useState<Record<string, string>>({ numIdentities: '32', iterations: '30', seed: '' });
  const [formError, setFormError] = useState<string>();
  const set = (name: string) => (event: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [name]: event.target.value }));
  const selectedId = values.modelPackId ?? packList[0]?.id;
  // Constant generator inputs the selected pack lets a run set (EG3D's camera conditioning).
  const parameters = runParameters(packList.find((pack) => pack.id === selectedId)?.manifest);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { inputs: generatorInputs, error } = generatorInputsOf(parameters, values);
    if (error) return setFormError(error);
    setFormError(undefined);
    const input: Record<string, unknown> = {
      modelPackId: selectedId,
      numIdentities: Number(values.numIdentities),
      iterations: Number(values.iterations),
    };
    if (values.seed) input.seed = values.seed;
    if (generatorInputs.length > 0) input.generatorInputs = generatorInputs;
    for (const field of optionalFields) {
      const raw = values[field.name];
      if (raw) input[field.name] = Number(raw);
    }
    const result = await start({ input });
    if (result.data) navigate(`/runs/${result.data.startLangevinRun.id}`);
  };

  return (
    <section>
      <h1>Start a Langevin run</h1>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <label>
          Model pack
          <select name="modelPackId" value={selectedId ?? ''} onChange={set('modelPackId')} required>
            {packList.map((pack) => (
              <option key={pack.id} value={pack.id}>
                {pack.name} ({pack.digest.slice(0, 8)})
              </option>
            ))}
          </select>
        </label>
        <label>
          Identities N
          <input
            name="numIdentities"
            type="number"
            min={2}
            value={values.numIdentities}
            onChange={set('numIdentities')}
            required
          />
        </label>
        <label>
          Iterations
          <input
            name="iterations"
            type="number"
            min={0}
            value={values.iterations}
            onChange={set('iterations')}
            required
          />
        </label>
        <label>
          Seed (unsigned 64-bit; blank: random)
          <input name="seed" value={values.seed} onChange={set('seed')} />
        </label>
        <RunParameterFields
          parameters={parameters}
          texts={values}
          onChange={(field, text) => setValues((v) => ({ ...v, [field]: text }))}
          blank="the pack's default"
        />
        <details>
          <summary>Method settings (blank: the paper's defaults)</summary>
          {optionalFields.map((field) => (
            <label key={field.name}>
              {field.label}
              <input
                name={field.name}
                type="number"
                step={field.integer ? 1 : 'any'}
                value={values[field.name] ?? ''}
                onChange={set(field.name)}
              />
            </label>
          ))}
        </details>
        <button type="submit" disabled={state.fetching || packList.length === 0}>
          Start
        </button>
        {formError && (
          <div className="error" role="alert">
            <p>{formError}</p>
          </div>
        )}
        <ErrorBox error={state.error} />
      </form>
    </section>
  );
}
