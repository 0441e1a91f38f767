// Display helpers: times, durations, countdowns.
export function time(ms: number | undefined): string {
  if (ms === undefined) {
    return '—';
  }
  const d = new Date(ms);
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

export function ago(ms: number | undefined, now: number): string {
  return ms === undefined ? 'never' : `${duration(now - ms)} ago`;
}
