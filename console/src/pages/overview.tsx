import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, type Agent, type Execution } from '../api';
import { ago, ms, time } from '../format';
import { useNow } from '../hooks';
import { onExecution } from '../live';

export interface Overview {
  readonly activeTotal: number;
  readonly activeByCommand: readonly { name: string; count: number }[];
  readonly activeByAgent: readonly { name: string; count: number }[];
  readonly topSourceIps: readonly { name: string; count: number }[];
  readonly topUsers: readonly { name: string; count: number }[];
  /** Per minute over the last 24 h: minute starts (epoch s) and one count series per outcome. */
  readonly perMinute: { readonly minutes: string[]; readonly series: Record<string, number[]> };
  readonly failing: readonly Execution[];
  readonly disconnectedAgents: readonly Agent[];
}

const COLORS: Record<string, string> = {
  ok: '#2f855a',
  failed: '#c53030',
  'timed-out': '#b7791f',
  'spawn-error': '#805ad5',
  running: '#3182ce',
};

function Chart({ data }: { data: Overview['perMinute'] }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) {
      return undefined;
    }
    const outcomes = Object.keys(data.series);
    const plot = new uPlot(
      {
        width: Math.max(320, host.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        axes: [{ stroke: '#4a5568' }, { stroke: '#4a5568', size: 50 }],
        series: [
          {},
          ...outcomes.map((o) => ({
            label: o,
            stroke: COLORS[o] ?? '#4a5568',
            width: 1.5,
            points: { show: false },
          })),
        ],
      },
      [data.minutes.map((m) => ms(m) / 1000), ...outcomes.map((o) => data.series[o] ?? [])],
      host,
    );
    return () => plot.destroy();
  }, [data]);
  return (
    <div
      ref={el}
      class="chart"
      role="img"
      aria-label="Executions per minute over the last 24 hours, by outcome"
    />
  );
}

function Top({ title, rows }: { title: string; rows: readonly { name: string; count: number }[] }) {
  return (
    <div class="card">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">None</p>
      ) : (
        <table class="mini">
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <td class="mono">{r.name}</td>
                <td class="num">{r.count.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function OverviewPage() {
  const [o, setO] = useState<Overview | undefined>();
  const [gen, setGen] = useState(0);
  const now = useNow(10_000);
  useEffect(() => {
    void api<Overview>('GET', '/overview').then(setO);
  }, [gen, Math.floor(now / 60_000)]);
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = onExecution(() => {
      clearTimeout(t);
      t = setTimeout(() => setGen((g) => g + 1), 1000);
    });
    return () => {
      off();
      clearTimeout(t);
    };
  }, []);
  if (o === undefined) {
    return <p class="loading">Loading…</p>;
  }
  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <p class="big">
          <a href="#/active">{o.activeTotal.toLocaleString()}</a> active responses
        </p>
      </div>
      <div class="card">
        <h2>Executions per minute, last 24 h</h2>
        <Chart data={o.perMinute} />
      </div>
      <div class="cards">
        <Top title="Active by command" rows={o.activeByCommand} />
        <Top title="Active by agent" rows={o.activeByAgent} />
        <Top title="Top source IPs" rows={o.topSourceIps} />
        <Top title="Top users" rows={o.topUsers} />
      </div>
      <div class="cards two">
        <div class="card">
          <h2>Failing executions</h2>
          {o.failing.length === 0 ? (
            <p class="muted">No failed execution recorded.</p>
          ) : (
            <ul class="plain">
              {o.failing.map((e) => (
                <li key={`${e.agentId}-${e.id}`}>
                  <span class={`badge outcome-${e.status}`}>{e.status}</span> {time(e.startedAt)} agent{' '}
                  {e.agentId} {e.arName} <span class="mono">{e.key ?? ''}</span>{' '}
                  <span class="muted">{e.note ?? e.stderrTail.slice(-80)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div class="card">
          <h2>Disconnected agents</h2>
          {o.disconnectedAgents.length === 0 ? (
            <p class="muted">All agents connected.</p>
          ) : (
            <ul class="plain">
              {o.disconnectedAgents.map((a) => (
                <li key={a.id}>
                  {a.id} {a.name} <span class="muted">last seen {ago(a.lastSeen, now)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
