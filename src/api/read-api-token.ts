/**
 * Reads the local API's bearer token (api-token.ts writes it), not following a link planted at
 * `file`. Its own file so that a client (`riposte ar ... --home`) does not load node:crypto.
 */
import { readFileNoFollow } from '../home/no-follow.js';

export function readApiToken(file: string): string {
  return readFileNoFollow(file).trim();
}
