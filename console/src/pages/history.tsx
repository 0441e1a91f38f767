import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, qs, type Execution, type Page } from '../api';
import { ms, time } from '../format';
import { useDebounced } from '../hooks';
import { onExecution } from '../live';

interface Filters {
  agent: string;
  command: string;
  outcome: string;
  key: string;
  alert: string;
  since: string;
  until: string;
}

/** Filters from the hash query ("#/history?alert=1.2" or "?key=..."), for links from other rows. */
function fromHash(): Filters {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return {
    agent: q.get('agent') ?? '',
    command: '',
    outcome: '',
    key: q.get('key') ?? '',
    alert: q.get('alert') ?? '',
    since: '',
    until: '',
  };
}
const OUTCOMES = ['', 'ok', 'failed', 'timed-out', 'spawn-error', 'running'];

/** Rows per page; "Load more" follows the server's cursor. */
const PAGE = 200;

/** The filters as a query; an export (format) takes every match, a page takes PAGE after `cursor`. */
function toQuery(f: Filters, format?: string, cursor?: string): string {
  return qs({
    agent: f.agent,
    command: f.command,
    status: f.outcome,
    key: f.key,
    alert: f.alert,
    since: f.since === '' ? undefined : new Date(f.since).toISOString(),
    until: f.until === '' ? undefined : new Date(f.until).toISOString(),
    limit: format === undefined ? PAGE : undefined,
    cursor,
    format,
  });
}

const matches = (e: Execution, f: Filters): boolean =>
  (f.agent === '' || e.agentId === f.agent) &&
  (f.command === '' || e.arName === f.command || e.program.endsWith(`/${f.command}`)) &&
  (f.outcome === '' || e.status === f.outcome) &&
  (f.key === '' || e.key === f.key) &&
  (f.alert === '' || e.alertId === f.alert) &&
  f.until === '';

function Filter({ f, set }: { f: Filters; set: (f: Filters) => void }) {
  const text = (name: keyof Filters, label: string, type = 'text') => (
    <label>
      {label}
      <input
        type={type}
        name={name}
        value={f[name]}
        onInput={(e) => set({ ...f, [name]: e.currentTarget.value })}
      />
    </label>
  );
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      {text('agent', 'Agent')}
      {text('command', 'Command')}
      <label>
        Outcome
        <select
          name="outcome"
          value={f.outcome}
          onChange={(e) => set({ ...f, outcome: e.currentTarget.value })}
        >
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o === '' ? 'any' : o}
            </option>
          ))}
        </select>
      </label>
      {text('key', 'Key')}
      {text('alert', 'Alert id')}
      {text('since', 'From', 'datetime-local')}
      {text('until', 'To', 'datetime-local')}
    </form>
  );
}

function ExecRow({ e }: { e: Execution }) {
  const dur = e.endedAt === undefined ? '—' : `${ms(e.endedAt) - ms(e.startedAt)} ms`;
  return (
    <tr>
      <td>{time(e.startedAt)}</td>
      <td>{e.agentId}</td>
      <td>{e.arName}</td>
      <td>{e.action}</td>
      <td class="mono">{e.key ?? '—'}</td>
      <td>
        <span class={`badge outcome-${e.status}`}>{e.status}</span>
      </td>
      <td class="num">{dur}</td>
      <td class="num">{e.exitCode ?? e.signal ?? '—'}</td>
      <td>
        {e.alertId !== undefined ? (
          <a
            class="mono"
            href={`#/history?alert=${encodeURIComponent(e.alertId)}`}
            title="Every execution of this alert"
          >
            {e.alertId}
          </a>
        ) : (
          '—'
        )}
        {e.action === 'delete' && e.key !== undefined && (
          <>
            {' '}
            <a href={`#/history?key=${encodeURIComponent(e.key)}`} title="The response this reverted">
              reverted response
            </a>
          </>
        )}
      </td>
      <td class="mono clip" title={e.stderrTail}>
        {e.note ?? e.stderrTail.slice(-120)}
      </td>
    </tr>
  );
}

export function HistoryPage() {
  const [filters, setFilters] = useState<Filters>(fromHash);
  useEffect(() => {
    const on = (): void => setFilters(fromHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const [items, setItems] = useState<Execution[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const f = useDebounced(filters, 250);
  const load = (cursor: string | undefined): void => {
    api<Page<Execution>>('GET', `/executions${toQuery(f, undefined, cursor)}`).then(
      (p) => {
        setItems((old) => (cursor === undefined ? p.items : [...old, ...p.items]));
        setNext(p.nextCursor);
        setError(undefined);
      },
      (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)),
    );
  };
  useEffect(() => load(undefined), [f]);
  useEffect(
    () =>
      onExecution((e) => {
        if (matches(e, f)) {
          setItems((old) => [e, ...old]);
        }
      }),
    [f],
  );
  return (
    <section aria-labelledby="history-title">
      <div class="page-head">
        <h1 id="history-title">History</h1>
        <p class="muted">
          {items.length} executions{next === undefined ? '' : ' shown, more match'}
        </p>
        <a class="button" href={`/executions${toQuery(f, 'csv')}`} download="executions.csv">
          Export CSV
        </a>
        <a class="button" href={`/executions${toQuery(f, 'ndjson')}`} download="executions.ndjson">
          Export NDJSON
        </a>
      </div>
      <Filter f={filters} set={setFilters} />
      {error !== undefined && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-scroll" tabIndex={0} aria-label="Executions table">
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Agent</th>
              <th scope="col">Command</th>
              <th scope="col">Action</th>
              <th scope="col">Key</th>
              <th scope="col">Outcome</th>
              <th scope="col">Duration</th>
              <th scope="col">Exit</th>
              <th scope="col">Alert</th>
              <th scope="col">Output tail</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <ExecRow key={`${e.agentId}-${e.id}`} e={e} />
            ))}
          </tbody>
        </table>
      </div>
      {next !== undefined && (
        <button type="button" onClick={() => load(next)}>
          Load more
        </button>
      )}
    </section>
  );
}
