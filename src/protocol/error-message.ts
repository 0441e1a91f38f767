/**
 * The text to show for a thrown value: an Error's (or subclass's) `message`, anything else
 * `String()`'d. Pure: no I/O, never throws for ordinary values.
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
