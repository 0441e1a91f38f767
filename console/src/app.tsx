import { useEffect, useState } from 'preact/hooks';
import { api, setCsrf, setSignedOutHandler, type Me } from './api';
import { useRoute } from './hooks';
import { onLiveState, startLive, stopLive } from './live';
import { ActivePage } from './pages/active';
import { AgentsPage } from './pages/agents';
import { HistoryPage } from './pages/history';
import { OverviewPage } from './pages/overview';
import { RulesPage } from './pages/rules';
import { SignIn } from './pages/sign-in';
import { SimulatePage } from './pages/simulate';

const PAGES = [
  ['overview', 'Overview'],
  ['active', 'Active responses'],
  ['history', 'History'],
  ['agents', 'Agents'],
  ['rules', 'Rules'],
  ['simulate', 'Simulate'],
] as const;

function Page({ route, me }: { route: string; me: Me }) {
  switch (route) {
    case 'active':
      return <ActivePage me={me} />;
    case 'history':
      return <HistoryPage />;
    case 'agents':
      return <AgentsPage me={me} />;
    case 'rules':
      return <RulesPage />;
    case 'simulate':
      return <SimulatePage />;
    default:
      return <OverviewPage />;
  }
}

function LiveBadge() {
  const [up, setUp] = useState(false);
  useEffect(() => onLiveState(setUp), []);
  return (
    <span class={up ? 'live live-up' : 'live'} title="Live feed of executions (server-sent events)">
      {up ? 'Live' : 'Connecting…'}
    </span>
  );
}

function Shell({ me, signOut }: { me: Me; signOut: () => void }) {
  const route = useRoute();
  const current = PAGES.some(([id]) => id === route) ? route : 'overview';
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/overview">
          Riposte
        </a>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([id, label]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={current === id ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <LiveBadge />
          <span>
            {me.name} <span class="role">{me.role}</span>
          </span>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page route={current} me={me} />
      </main>
    </div>
  );
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    setSignedOutHandler(() => {
      stopLive();
      setMe(null);
    });
    api<Me>('GET', '/session').then(
      (m) => {
        setCsrf(m.csrf);
        setMe(m);
      },
      () => setMe(null),
    );
  }, []);
  useEffect(() => {
    if (me) {
      startLive();
    }
  }, [me]);
  if (me === undefined) {
    return <p class="loading">Loading…</p>;
  }
  if (me === null) {
    return (
      <SignIn
        onSignedIn={(m) => {
          setCsrf(m.csrf);
          setMe(m);
        }}
      />
    );
  }
  const signOut = (): void => {
    void api('DELETE', '/session').finally(() => {
      stopLive();
      setCsrf(undefined);
      setMe(null);
    });
  };
  return <Shell me={me} signOut={signOut} />;
}
