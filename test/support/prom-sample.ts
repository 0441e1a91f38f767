/** Reading Prometheus text (`GET /metrics`) in tests and benchmarks. */

/** The value of one sample line, e.g. `riposte_orders{state="queued"}`; undefined when absent. */
export function promSample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
