/**
 * `server.listen` as a promise, for every server the daemons run (the manager's link and API
 * port, the local API's socket and port). A listen error (EADDRINUSE, say) rejects. Once
 * listening, a later 'error' event (an accept that fails: EMFILE, ENOBUFS) goes to `onError`
 * rather than ending the process; the server goes on accepting.
 */
import type { ListenOptions, Server } from 'node:net';

export function listenServer(
  server: Server,
  where: ListenOptions,
  onError: (err: Error) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve();
    });
  });
}
