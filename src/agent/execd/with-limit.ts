/**
 * A time limit on an in-process batch call (the stock scripts' batch forms). The call itself is
 * stopped by its AbortSignal elsewhere; this only decides when the caller stops waiting.
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
