/**
 * A concurrency limit on the API's reads (issue 13.9): at most `max` GET requests are handled or
 * being sent at once; one more is answered at once with 503, `Retry-After: 1` and the code
 * DAEMON_UNREACHABLE (the daemon cannot serve it now; the CLI exits 3), instead of queueing in
 * memory. Together with the hard cap on `limit` (1000 rows) and the caps on what an
 * agent can store (protocol/link.ts LINK_FIELD_CAPS), a burst of reads costs bounded memory.
 * Writes are not limited here: they are small and each is one store transaction. Nor are the routes
 * marked `config: { ownLimit: true }`: a response that never ends by design (the execution feed,
 * capped on its own) would hold a slot for as long as a console tab stays open, and 32 of them
 * would refuse every read, the health probes included. `GET /healthz` is marked too (constant work;
 * `/readyz` reads the store, so it stays counted).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordRejection } from '../protocol/input-rejections.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route bounds itself (or costs nothing): the read limit does not count it. */
    ownLimit?: boolean;
  }
}

/** Reads handled at once. */
export const MAX_CONCURRENT_READS = 32;
/** Seconds a refused reader is told to wait. */
export const READ_RETRY_AFTER_S = 1;

export function installReadLimit(app: FastifyInstance, max = MAX_CONCURRENT_READS): void {
  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  const done = async (request: FastifyRequest): Promise<void> => {
    if (counted.delete(request)) {
      inFlight--;
    }
  };
  app.addHook('onResponse', done);
  app.addHook('onRequestAbort', done);
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.routeOptions.config.ownLimit === true) {
      return;
    }
    if (inFlight >= max) {
      recordRejection('api', 'rate-limited');
      await reply
        .code(503)
        .header('retry-after', String(READ_RETRY_AFTER_S))
        .type('application/json; charset=utf-8')
        .send({
          error: {
            code: 'DAEMON_UNREACHABLE',
            message: `Too many reads at once (${max}); retry after ${READ_RETRY_AFTER_S} s`,
          },
        });
      return;
    }
    inFlight++;
    counted.add(request);
  });
}
