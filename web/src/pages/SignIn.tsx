import { useState, type FormEvent } from 'react';

/** Checks the key with one `me` query before keeping it for this browser tab. */
export function SignIn({ onSignIn, notice }: { onSignIn: (key: string) => void; notice: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(notice);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.trim()}` },
        body: JSON.stringify({ query: '{ me { role } }' }),
      });
      const body = (await response.json()) as { data?: { me?: { role: string } }; errors?: { message: string }[] };
      if (body.data?.me) onSignIn(key.trim());
      else setError(body.errors?.[0]?.message ?? `sign-in failed (HTTP ${response.status})`);
    } catch (failure) {
      setError(`cannot reach the API: ${(failure as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <h1>Brownian</h1>
      <p className="muted">Synthetic face datasets by Brownian identity diffusion.</p>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          API key
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            placeholder="brn_…"
            required
          />
        </label>
        <button type="submit" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
        <p className="muted small">The key is kept in this tab's session storage only.</p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
