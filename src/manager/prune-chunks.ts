/**
 * How a prune run deletes: one chunk at a time, each call its own short transaction, until a
 * chunk is not full (`more` says false) or `goOn` turns false (then no further call). Between
 * chunks it gives the event loop a turn: SQLite's calls settle at once, and without that turn a
 * long run would hold the link and the API until its end. Used by the order history's runs
 * (order-scheduler.ts) and the API audit trail's (manager-api/audit-pruner.ts).
 */

/** Runs `call` chunk after chunk as above; resolves to each chunk's result, in order. */
export async function pruneInChunks<T>(
  call: () => Promise<T>,
  more: (chunk: T) => boolean,
  goOn: () => boolean = () => true,
): Promise<T[]> {
  const chunks: T[] = [];
  while (goOn()) {
    const chunk = await call();
    chunks.push(chunk);
    if (!more(chunk)) {
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return chunks;
}
