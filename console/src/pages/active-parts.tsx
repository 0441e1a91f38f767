import type { Active } from '../api';
import { duration, ms, time } from '../format';

export type Sort = 'since' | 'expires' | 'key' | 'agent' | 'command' | 'repeat';

export interface Filters {
  agent: string;
  command: string;
  ip: string;
  user: string;
}

export function FilterBar({ value, onChange }: { value: Filters; onChange: (f: Filters) => void }) {
  const field = (name: keyof Filters, label: string, placeholder: string) => (
    <label>
      {label}
      <input
        name={name}
        value={value[name]}
        placeholder={placeholder}
        onInput={(e) => onChange({ ...value, [name]: e.currentTarget.value.trim() })}
      />
    </label>
  );
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      {field('agent', 'Agent', '001')}
      {field('command', 'Command', 'firewall-drop')}
      {field('ip', 'IP or CIDR', '10.0.0.0/8')}
      {field('user', 'User', 'root')}
    </form>
  );
}

export interface RowProps {
  a: Active;
  now: number;
  selectable: boolean;
  selected: boolean;
  toggle: (a: Active) => void;
}

export function Row({ a, now, selectable, selected, toggle }: RowProps) {
  const left = ms(a.expiresAt) - now;
  return (
    <tr class={selected ? 'selected' : undefined}>
      {selectable && (
        <td class="check">
          <input
            type="checkbox"
            checked={selected}
            aria-label={`Select ${a.key} on agent ${a.agentId}`}
            onChange={() => toggle(a)}
          />
        </td>
      )}
      <td>{a.agentId}</td>
      <td>{a.arName}</td>
      <td class="mono">{a.key}</td>
      <td>{time(a.createdAt)}</td>
      <td class={left < 60_000 ? 'countdown soon' : 'countdown'}>{duration(left)}</td>
      <td>
        {a.alertId !== undefined ? (
          <a href={`#/history?alert=${encodeURIComponent(a.alertId)}`}>{a.alertId}</a>
        ) : (
          '—'
        )}
        {a.ruleId !== undefined && <span class="muted"> · rule {a.ruleId}</span>}
      </td>
      <td class="num">{a.repeatCount}</td>
    </tr>
  );
}

export function SortHeader(props: {
  col: Sort | undefined;
  label: string;
  sort: Sort;
  desc: boolean;
  set: (s: Sort) => void;
}) {
  const { col, label, sort, desc, set } = props;
  if (col === undefined) {
    return <th scope="col">{label}</th>;
  }
  const active = col === sort;
  return (
    <th scope="col" aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" class="sort" onClick={() => set(col)}>
        {label}
        <span aria-hidden="true">{active ? (desc ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
}
