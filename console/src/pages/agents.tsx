import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Agent, type Me, type Page } from '../api';
import { ago } from '../format';
import { useNow } from '../hooks';
import { onExecution } from '../live';

interface AgentRow extends Agent {
  readonly activeCount?: number;
  readonly lastError?: string;
}

function EnrollToken() {
  const [name, setName] = useState('');
  const [made, setMade] = useState<{ name: string; token: string; expiresAt: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const submit = (ev: Event): void => {
    ev.preventDefault();
    setError(undefined);
    api<{ name: string; token: string; expiresAt: string }>('POST', '/agents/tokens', { name }).then(
      (t) => {
        setMade(t);
        setName('');
      },
      (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  };
  return (
    <form class="card inline-form" onSubmit={submit}>
      <h2>Enroll an agent</h2>
      <label>
        Agent name
        <input
          value={name}
          required
          pattern="[A-Za-z0-9._-]{1,128}"
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary">
        Create enrollment token
      </button>
      {error !== undefined && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {made !== undefined && (
        <p role="status">
          One-time token for <b>{made.name}</b> (shown once, valid until{' '}
          {new Date(made.expiresAt).toLocaleString()}): <code class="secret">{made.token}</code>
        </p>
      )}
    </form>
  );
}

export function AgentsPage({ me }: { me: Me }) {
  const [agents, setAgents] = useState<AgentRow[]>([]);
  const [gen, setGen] = useState(0);
  const now = useNow(5000);
  useEffect(() => {
    void api<Page<AgentRow>>('GET', '/agents').then((p) => setAgents(p.items));
  }, [gen]);
  useEffect(() => onExecution(() => setGen((g) => g + 1)), []);
  const remove = (a: Agent): void => {
    if (confirm(`Remove agent ${a.id} (${a.name})? Its certificate will be refused from now on.`)) {
      void api('DELETE', `/agents/${a.id}`).then(() => setGen((g) => g + 1));
    }
  };
  const admin = me.role === 'admin';
  return (
    <section aria-labelledby="agents-title">
      <div class="page-head">
        <h1 id="agents-title">Agents</h1>
        <p class="muted">{agents.length} enrolled</p>
      </div>
      <div class="table-scroll short" tabIndex={0} aria-label="Agents table">
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Last seen</th>
              <th scope="col">Version</th>
              <th scope="col">Address</th>
              <th scope="col">Active</th>
              <th scope="col">Last error</th>
              {admin && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={a.id}>
                <td>{a.id}</td>
                <td>{a.name}</td>
                <td>
                  <span class={`badge status-${a.status}`}>{a.status.replace('_', ' ')}</span>
                </td>
                <td>{a.status === 'active' ? 'now' : ago(a.lastSeen, now)}</td>
                <td>{a.version ?? '—'}</td>
                <td class="mono">{a.address ?? '—'}</td>
                <td class="num">{a.activeCount ?? '—'}</td>
                <td class="mono clip">{a.lastError ?? ''}</td>
                {admin && (
                  <td>
                    {a.id !== '000' && a.status !== 'removed' && (
                      <button type="button" class="small" onClick={() => remove(a)}>
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {admin && <EnrollToken />}
    </section>
  );
}
