/**
 * A time limit on waiting for a promise: on an in-process batch call (the stock scripts' batch
 * forms, stopped by their AbortSignal elsewhere), on a lease's release at stop
 * (cluster/pg-lease.ts), or on a cluster node's first clock reading at start
 * (runtime/cluster-lease.ts). This only decides when the caller stops waiting; the work goes on.
 */

/** Resolves 'timeout' when `run` takes longer than `ms` (the run itself goes on). */
export async function withLimit<T>(run: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, ms);
  });
  try {
    return await Promise.race([run, limit]);
  } finally {
    clearTimeout(timer);
  }
}
