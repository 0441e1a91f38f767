/** Waiting in tests by turns of the event loop, never by sleeping a guessed time. */

/** One turn of the event loop: lets pending microtasks and setImmediate callbacks run. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Resolves once `cond()` holds, checked after each turn of the event loop; fails after 5 s. */
export async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await turn();
  }
}
