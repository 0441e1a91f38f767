import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';

export interface RuleRow {
  readonly command: string;
  readonly arName: string;
  readonly executable: string;
  readonly location: string;
  readonly agentId?: string;
  readonly level?: number;
  readonly groups: readonly string[];
  readonly rulesIds: readonly string[];
  readonly timeoutSec?: number;
  readonly disabled: boolean;
}

export interface RulesAnswer {
  readonly rules: readonly RuleRow[];
  readonly whiteList: readonly string[];
  readonly diagnostics: readonly { severity: string; message: string }[];
}

/** `GET /rules/check`: `riposte check` of the file as it is on disk now. */
interface CheckAnswer {
  readonly file: string;
  readonly checkedAt: string;
  readonly ok: boolean;
  /** Whether the executables in the manager's active-response/bin were checked (it has one). */
  readonly executablesChecked?: boolean;
  readonly diagnostics: readonly { severity: string; message: string }[];
}

/** Runs a fresh check on open and on demand; the loaded rules change only at a restart. */
function FreshCheck() {
  const [c, setC] = useState<CheckAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const run = (): void => {
    api<CheckAnswer>('GET', '/rules/check').then(
      (answer) => {
        setC(answer);
        setError(undefined);
      },
      (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  };
  useEffect(run, []);
  return (
    <div class="card" aria-labelledby="check-title">
      <h2 id="check-title">Check of the file now</h2>
      {error !== undefined && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {c !== undefined && (
        <>
          <p role="status">
            <span class={c.ok ? 'badge outcome-ok' : 'badge outcome-failed'}>
              {c.ok ? 'valid' : 'invalid'}
            </span>{' '}
            <span class="mono">{c.file}</span> checked at {new Date(c.checkedAt).toLocaleString()}
            {c.ok ? '' : ' (the running configuration is the one loaded at start)'}
          </p>
          <p class="muted">
            {c.executablesChecked === true
              ? 'Executables in active-response/bin checked.'
              : 'Executables not checked: this manager has no active-response/bin (the scripts live on the agents).'}
          </p>
          {c.diagnostics.length === 0 ? (
            <p class="muted">No errors or warnings.</p>
          ) : (
            <ul class="plain" aria-label="Check diagnostics">
              {c.diagnostics.map((d) => (
                <li key={d.message}>
                  <span class={`badge sev-${d.severity}`}>{d.severity}</span> {d.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <button type="button" onClick={run}>
        Run check again
      </button>
    </div>
  );
}

export function RulesPage() {
  const [r, setR] = useState<RulesAnswer | undefined>();
  useEffect(() => {
    void api<RulesAnswer>('GET', '/rules').then(setR);
  }, []);
  if (r === undefined) {
    return <p class="loading">Loading…</p>;
  }
  return (
    <section aria-labelledby="rules-title">
      <div class="page-head">
        <h1 id="rules-title">Rules</h1>
        <p class="muted">{r.rules.length} active-response blocks loaded</p>
      </div>
      <div class="table-scroll short" tabIndex={0} aria-label="Rules table">
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Command</th>
              <th scope="col">Script</th>
              <th scope="col">Level ≥</th>
              <th scope="col">Groups</th>
              <th scope="col">Rule ids</th>
              <th scope="col">Location</th>
              <th scope="col">Timeout</th>
            </tr>
          </thead>
          <tbody>
            {r.rules.map((x) => (
              <tr key={x.arName} class={x.disabled ? 'muted' : undefined}>
                <td>
                  {x.arName}
                  {x.disabled && <span class="badge">disabled</span>}
                </td>
                <td class="mono">{x.executable}</td>
                <td class="num">{x.level ?? '—'}</td>
                <td>{x.groups.join(', ') || '—'}</td>
                <td>{x.rulesIds.join(', ') || '—'}</td>
                <td>
                  {x.location}
                  {x.agentId !== undefined ? ` (${x.agentId})` : ''}
                </td>
                <td>{x.timeoutSec === undefined ? 'stateless' : `${x.timeoutSec} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="cards two">
        <div class="card">
          <h2>White list</h2>
          {r.whiteList.length === 0 ? (
            <p class="muted">Empty</p>
          ) : (
            <p class="mono">{r.whiteList.join(', ')}</p>
          )}
        </div>
        <div class="card">
          <h2>Load diagnostics</h2>
          {r.diagnostics.length === 0 ? (
            <p class="muted">No warnings at load.</p>
          ) : (
            <ul class="plain">
              {r.diagnostics.map((d) => (
                <li key={d.message}>
                  <span class={`badge sev-${d.severity}`}>{d.severity}</span> {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <FreshCheck />
    </section>
  );
}
