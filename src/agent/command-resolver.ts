/**
 * How execd turns an AR name into a program (reference §2.2): ar.conf lookup, `!name` custom
 * commands, one reload of ar.conf on a miss.
 */
export type ResolvedCommand =
  | { readonly kind: 'found'; readonly program: string; readonly timeout: number }
  | { readonly kind: 'custom'; readonly program: string; readonly timeout: 0 }
  | { readonly kind: 'not-present'; readonly program: string }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'rejected'; readonly log: string };

export interface CommandResolver {
  /** Looks `name` up, re-reading ar.conf once when it is not known. */
  resolve(name: string): ResolvedCommand;
  /** Names known from ar.conf (for `ar run` validation and listings). */
  names(): string[];
}
