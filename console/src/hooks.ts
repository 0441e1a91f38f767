import { useEffect, useState } from 'preact/hooks';

/** The current time, updated every `everyMs` (countdowns). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** The hash route ("#/active" -> "active"). */
export function useRoute(): string {
  const read = (): string => location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const on = (): void => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** `value`, once it has not changed for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
