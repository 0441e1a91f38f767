/**
 * One JSON POST with Node's own HTTP client and a hard time limit covering connect, upload and the
 * whole response. Redirects are not followed and the response body is discarded.
 */
import type http from 'node:http';

export interface PostJsonRequest {
  readonly url: URL;
  readonly body: string;
  /** Whole-request limit in milliseconds. */
  readonly timeoutMs: number;
}

/** Outcome of a POST: the HTTP status, or why no status was obtained. */
export type PostJsonResult = { ok: true; status: number } | { ok: false; error: string };

/** Sends the request; never rejects. A timeout yields `timed out after <ms> ms`. */
export async function postJson(req: PostJsonRequest): Promise<PostJsonResult> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  // Imported on use: the agent daemon loads this script's module at start but seldom runs it.
  const client: Pick<typeof http, 'request'> =
    req.url.protocol === 'https:'
      ? (await import('node:https')).default
      : (await import('node:http')).default;
  return new Promise((resolve) => {
    const onError = (err: Error): void => {
      resolve({ ok: false, error: signal.aborted ? `timed out after ${req.timeoutMs} ms` : err.message });
    };
    const request = client.request(
      req.url,
      {
        method: 'POST',
        signal,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(req.body),
        },
      },
      (res) => {
        res.on('error', onError);
        res.on('end', () => {
          resolve({ ok: true, status: res.statusCode ?? 0 });
        });
        res.resume();
      },
    );
    request.on('error', onError);
    request.end(req.body);
  });
}
