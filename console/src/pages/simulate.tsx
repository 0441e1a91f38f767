import { useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../api';

/** `GET /alerts/recent`: an alert that caused orders, whole. */
interface RecentAlert {
  readonly id?: string;
  readonly receivedAt: string;
  readonly agents: readonly string[];
  readonly alert: Record<string, unknown>;
}

interface Explained {
  readonly alert_id: string | null;
  readonly rule_id: string;
  readonly responses: readonly {
    command: string;
    ar_name: string;
    location: string;
    fires: boolean;
    reason: string;
    targets: readonly string[];
    message: unknown;
  }[];
}

const SAMPLE = JSON.stringify({
  timestamp: '2026-11-30T06:00:00.000+0000',
  rule: { level: 10, id: '5763', groups: ['syslog', 'sshd', 'authentication_failures'] },
  agent: { id: '000', name: 'manager' },
  id: '1764482400.1',
  data: { srcip: '203.0.113.45', srcuser: 'root' },
});

export function SimulatePage() {
  const [text, setText] = useState(SAMPLE);
  const [answer, setAnswer] = useState<Explained | undefined>();
  const [error, setError] = useState<string | undefined>();
  const run = (ev: Event): void => {
    ev.preventDefault();
    setError(undefined);
    let alert: unknown;
    try {
      alert = JSON.parse(text);
    } catch {
      setError('The alert is not valid JSON');
      return;
    }
    api<Explained>('POST', '/explain', { alert }).then(setAnswer, (err: unknown) =>
      setError(err instanceof ApiError ? err.message : String(err)),
    );
  };
  const [recent, setRecent] = useState<readonly RecentAlert[] | undefined>();
  const loadRecent = (): void => {
    api<Page<RecentAlert>>('GET', `/alerts/recent${qs({ limit: 20 })}`).then(
      (p) => {
        setRecent(p.items);
        const first = p.items[0];
        if (first !== undefined) {
          setText(JSON.stringify(first.alert, null, 2));
        }
      },
      (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  };
  return (
    <section aria-labelledby="simulate-title">
      <div class="page-head">
        <h1 id="simulate-title">Simulate</h1>
        <p class="muted">
          Paste an alert (alerts.json line): see which responses would fire, where, and why the others would
          not. Nothing runs.
        </p>
      </div>
      <form class="card" onSubmit={run}>
        <label for="alert">Alert JSON</label>
        <textarea
          id="alert"
          rows={8}
          class="mono"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <div class="actions left">
          <button type="submit" class="primary">
            Explain
          </button>
          <button type="button" onClick={loadRecent}>
            Pick a recent alert
          </button>
        </div>
        {recent !== undefined &&
          (recent.length === 0 ? (
            <p class="muted">No alert has caused a response yet.</p>
          ) : (
            <label>
              Recent alerts (those that caused responses)
              <select
                name="recent"
                onChange={(e) => {
                  const a = recent[Number(e.currentTarget.value)];
                  if (a !== undefined) {
                    setText(JSON.stringify(a.alert, null, 2));
                  }
                }}
              >
                {recent.map((a, i) => (
                  <option key={`${a.id ?? ''}-${a.receivedAt}`} value={i}>
                    {new Date(a.receivedAt).toLocaleString()} · {a.id ?? 'no id'} · agents{' '}
                    {a.agents.join(', ')}
                  </option>
                ))}
              </select>
            </label>
          ))}
        {error !== undefined && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
      {answer !== undefined && (
        <div class="card" aria-live="polite">
          <h2>
            Alert {answer.alert_id ?? '?'} · rule {answer.rule_id}
          </h2>
          <table class="grid">
            <thead>
              <tr>
                <th scope="col">Response</th>
                <th scope="col">Location</th>
                <th scope="col">Fires?</th>
                <th scope="col">Targets</th>
                <th scope="col">Why</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {answer.responses.map((r) => (
                <tr key={r.ar_name}>
                  <td>{r.ar_name}</td>
                  <td>{r.location}</td>
                  <td>
                    <span class={r.fires ? 'badge outcome-ok' : 'badge'}>{r.fires ? 'fires' : 'no'}</span>
                  </td>
                  <td>{r.targets.join(', ') || '—'}</td>
                  <td>{r.reason}</td>
                  <td class="mono clip" title={r.message === null ? '' : JSON.stringify(r.message)}>
                    {r.message === null ? '—' : JSON.stringify(r.message)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
