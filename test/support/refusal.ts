/**
 * What a synchronous call refused, as one string to match: `CODE: message` of what it threw
 * (the code of a RiposteError, or undefined), or `accepted` when it returned.
 */
export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err: unknown) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
  return 'accepted';
}
