import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useLocation } from 'wouter';
import { startDiscoRunMutation, startDispersionRunMutation } from '../api/documents';
import { runParameters } from '../runParameters';
import { ErrorBox } from './ErrorBox';
import { generatorInputsOf, RunParameterFields } from './RunParameterFields';

/**
 * Starts Dispersion (or DisCo, along the pack's covariate directions) over the identities of a
 * SUCCEEDED Langevin run; blank fields take the paper's settings (or the pack's), as the API fills them.
 * The pack's run parameters (EG3D's camera) left blank are the parent run's.
 */
export function VariationsForm({ parentRunId, manifest }: { parentRunId: string; manifest: unknown }) {
  const [method, setMethod] = useState<'DISPERSION' | 'DISCO'>('DISPERSION');
  const [numVariations, setNumVariations] = useState('4');
  const [iterations, setIterations] = useState('');
  const [seed, setSeed] = useState('');
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const parameters = runParameters(manifest);
  const [dispersion, startDispersion] = useMutation<{ startDispersionRun: { id: string } }>(startDispersionRunMutation);
  const [disco, startDisco] = useMutation<{ startDiscoRun: { id: string } }>(startDiscoRunMutation);
  const [, navigate] = useLocation();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { inputs: generatorInputs, error } = generatorInputsOf(parameters, texts);
    if (error) return setFormError(error);
    setFormError(undefined);
    const input: Record<string, unknown> = { parentRunId, numVariations: Number(numVariations) };
    if (iterations) input.iterations = Number(iterations);
    if (seed) input.seed = seed;
    if (generatorInputs.length > 0) input.generatorInputs = generatorInputs;
    const id =
      method === 'DISPERSION'
        ? (await startDispersion({ input })).data?.startDispersionRun.id
        : (await startDisco({ input })).data?.startDiscoRun.id;
    if (id) navigate(`/runs/${id}`);
  };

  return (
    <form className="form inline" onSubmit={(event) => void submit(event)} data-testid="variations-form">
      <label>
        Method
        <select name="method" value={method} onChange={(e) => setMethod(e.target.value as 'DISPERSION' | 'DISCO')}>
          <option value="DISPERSION">Dispersion</option>
          <option value="DISCO">DisCo (pack covariates)</option>
        </select>
      </label>
      <label>
        Variations per identity
        <input
          name="numVariations"
          type="number"
          min={2}
          value={numVariations}
          onChange={(e) => setNumVariations(e.target.value)}
          required
        />
      </label>
      <label>
        Variation iterations (blank: 20)
        <input
          name="variationIterations"
          type="number"
          min={0}
          value={iterations}
          onChange={(e) => setIterations(e.target.value)}
        />
      </label>
      <label>
        Variation seed (blank: random)
        <input name="variationSeed" value={seed} onChange={(e) => setSeed(e.target.value)} />
      </label>
      <RunParameterFields
        parameters={parameters}
        texts={texts}
        onChange={(field, text) => setTexts((t) => ({ ...t, [field]: text }))}
        blank="the parent run's"
      />
      <button type="submit" disabled={dispersion.fetching || disco.fetching}>
        Start variations
      </button>
      {formError && (
        <div className="error" role="alert">
          <p>{formError}</p>
        </div>
      )}
      <ErrorBox error={method === 'DISPERSION' ? dispersion.error : disco.error} />
    </form>
  );
}
