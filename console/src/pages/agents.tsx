import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Agent, type Me, type Page } from '../api';
import { ago } from '../format';
import { useNow } from '../hooks';
import { onExecution } from '../live';

interface AgentRow extends Agent {
  readonly activeCount?: number;
  readonly lastError?: string;
}

/** `GET /agents/tokens`: an enrollment token without its secret. */
interface EnrollTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt?: string;
}

function tokenState(t: EnrollTokenInfo, now: number): string {
  if (t.usedAt !== undefined) {
    return `used ${new Date(t.usedAt).toLocaleString()}`;
  }
  return Date.parse(t.expiresAt) < now ? 'expired' : 'unused';
}

/** Enrollment tokens (admin): listed without their secret; removing one stops it enrolling an agent. */
function EnrollTokens({ gen, changed }: { gen: number; changed: () => void }) {
  const [tokens, setTokens] = useState<EnrollTokenInfo[]>([]);
  const [error, setError] = useState<string | undefined>();
  const now = useNow(30_000);
  useEffect(() => {
    void api<Page<EnrollTokenInfo>>('GET', '/agents/tokens').then((p) => setTokens(p.items));
  }, [gen]);
  const remove = (t: EnrollTokenInfo): void => {
    if (confirm(`Remove the enrollment token for ${t.name} (${t.id})? It can no longer enroll an agent.`)) {
      api('DELETE', `/agents/tokens/${t.id}`).then(changed, (err: unknown) =>
        setError(err instanceof ApiError ? err.message : String(err)),
      );
    }
  };
  return (
    <div class="card">
      <h2 id="tokens-title">Enrollment tokens</h2>
      {error !== undefined && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {tokens.length === 0 ? (
        <p class="muted">No enrollment tokens.</p>
      ) : (
        <table class="grid" aria-labelledby="tokens-title">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Agent name</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td class="mono">{t.id}</td>
                <td>{t.name}</td>
                <td>{new Date(t.createdAt).toLocaleString()}</td>
                <td>{new Date(t.expiresAt).toLocaleString()}</td>
                <td>{tokenState(t, now)}</td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Remove enrollment token ${t.id} for ${t.name}`}
                    onClick={() => remove(t)}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function EnrollToken({ created }: { created: () => void }) {
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
        created();
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
  const [tokenGen, setTokenGen] = useState(0);
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
      {admin && <EnrollToken created={() => setTokenGen((g) => g + 1)} />}
      {admin && <EnrollTokens gen={tokenGen} changed={() => setTokenGen((g) => g + 1)} />}
    </section>
  );
}
