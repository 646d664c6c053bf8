import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { Link, Redirect, Route, Switch } from 'wouter';
import { connect } from './api/client';
import { meQuery } from './api/documents';
import type { Me } from './api/types';
import { ErrorBox } from './components/ErrorBox';
import { AuditsPage } from './pages/AuditsPage';
import { DatasetsPage } from './pages/DatasetsPage';
import { GalleriesPage } from './pages/GalleriesPage';
import { IdentityPage } from './pages/IdentityPage';
import { ModelPacksPage } from './pages/ModelPacksPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignIn } from './pages/SignIn';
import { StartRunPage } from './pages/StartRunPage';
import { canAudit, canOperate, storeApiKey, storedApiKey } from './session';

// GraphiQL and its editor are most of the bundle: loaded only when the explorer is opened.
const ExplorerPage = lazy(() => import('./pages/ExplorerPage'));

export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey);
  const [notice, setNotice] = useState<string | null>(null);
  const connection = useMemo(() => (apiKey ? connect(apiKey) : null), [apiKey]);
  useEffect(() => () => connection?.close(), [connection]);

  const signOut = (reason: string | null) => {
    storeApiKey(null);
    setNotice(reason);
    setApiKey(null);
  };
  if (!connection || !apiKey) {
    return (
      <SignIn
        notice={notice}
        onSignIn={(key) => {
          storeApiKey(key);
          setNotice(null);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <Provider value={connection.client}>
      <SignedIn apiKey={apiKey} onSignOut={signOut} />
    </Provider>
  );
}

/** urql types the HTTP response of an error as `any`; only its status is read. */
function hasStatus(response: unknown, status: number): boolean {
  return typeof response === 'object' && response !== null && 'status' in response && response.status === status;
}

function SignedIn({ apiKey, onSignOut }: { apiKey: string; onSignOut: (reason: string | null) => void }) {
  const [{ data, error }] = useQuery<{ me: Me }>({ query: meQuery, requestPolicy: 'cache-first' });
  const unauthenticated =
    error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || hasStatus(error?.response, 401);
  useEffect(() => {
    if (unauthenticated) onSignOut('That API key is not valid or was revoked.');
  }, [unauthenticated, onSignOut]);
  if (error && !unauthenticated) return <ErrorBox error={error} />;
  if (!data) return <p className="muted page">Signing in…</p>;
  const { me } = data;
  return (
    <>
      <header className="topbar">
        <Link href="/runs" className="brand">
          Brownian
        </Link>
        <nav>
          <Link href="/runs">Runs</Link>
          <Link href="/datasets">Datasets</Link>
          <Link href="/packs">Model packs</Link>
          {canAudit(me.role) && <Link href="/galleries">Galleries</Link>}
          {canAudit(me.role) && <Link href="/audits">Audits</Link>}
          <Link href="/explorer">Explorer</Link>
        </nav>
        <span className="who" data-testid="who">
          {me.name} · <strong>{me.role}</strong> · key {apiKey.slice(0, 6)}…
        </span>
        <button type="button" className="link" onClick={() => onSignOut(null)}>
          Sign out
        </button>
      </header>
      <main className="page">
        <Switch>
          <Route path="/">
            <Redirect to="/runs" />
          </Route>
          <Route path="/runs">
            <RunsPage role={me.role} />
          </Route>
          <Route path="/runs/new">{canOperate(me.role) ? <StartRunPage /> : <Forbidden />}</Route>
          <Route path="/runs/:id">{(params) => <RunPage id={params.id} role={me.role} />}</Route>
          <Route path="/identities/:id">{(params) => <IdentityPage id={params.id} />}</Route>
          <Route path="/datasets">
            <DatasetsPage role={me.role} />
          </Route>
          <Route path="/packs">
            <ModelPacksPage />
          </Route>
          <Route path="/galleries">{canAudit(me.role) ? <GalleriesPage /> : <Forbidden />}</Route>
          <Route path="/audits/:id?">
            {(params) => (canAudit(me.role) ? <AuditsPage id={params.id} /> : <Forbidden />)}
          </Route>
          <Route path="/explorer">
            <Suspense fallback={<p className="muted">Loading the explorer…</p>}>
              <ExplorerPage apiKey={apiKey} />
            </Suspense>
          </Route>
          <Route>
            <h1>Not found</h1>
          </Route>
        </Switch>
      </main>
    </>
  );
}

function Forbidden() {
  return <p className="error">Your key's role may not open this page.</p>;
}
