// Display helpers: times, durations, countdowns. The API answers times in ISO-8601 (UTC).

/** Epoch ms of an API time (ISO-8601). */
export const ms = (iso: string): number => Date.parse(iso);

export function time(iso: string | undefined): string {
  if (iso === undefined) {
    return '—';
  }
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(ms: number): string {
  if (ms < 0) {
    return '0s';
  }
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) {
    return `${h}h ${String(m).padStart(2, '0')}m`;
  }
  return m > 0 ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function ago(iso: string | undefined, now: number): string {
  return iso === undefined ? 'never' : `${duration(now - ms(iso))} ago`;
}
