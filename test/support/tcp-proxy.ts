/**
 * A loopback TCP proxy for tests that need a connection to die silently (a network cut, a host
 * lost): after `cut()` every connection through it, open or new, drops the bytes it gets both ways
 * and closes nothing, so neither end hears of it. `heal()` lets new connections through again (the
 * cut ones stay silent, as after a real partition). `sever()` is a host lost for good: as `cut()`,
 * and what one end of a connection then closes is not passed on either (the other end keeps a
 * half-open connection), and new connections are refused.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  cut(): void;
  sever(): void;
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly server: net.Socket;
  dead: boolean;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let cut = false;
  let severed = false;
  const pairs = new Set<Pair>();
  const proxy = net.createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, server, dead: cut };
    pairs.add(pair);
    client.on('data', (d) => {
      if (!pair.dead) {
        server.write(d);
      }
    });
    server.on('data', (d) => {
      if (!pair.dead) {
        client.write(d);
      }
    });
    for (const s of [client, server]) {
      const end = (): void => {
        if (severed) {
          s.destroy(); // the other end never hears of it (every pair is dead once severed)
          return;
        }
        pairs.delete(pair);
        client.destroy();
        server.destroy();
      };
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', resolve);
  });
  const address = proxy.address();
  if (address === null || typeof address === 'string') {
    throw new Error('the proxy has no TCP port');
  }
  const cutAll = (): void => {
    cut = true;
    for (const p of pairs) {
      p.dead = true;
    }
  };
  return {
    port: address.port,
    cut: cutAll,
    sever: () => {
      cutAll();
      severed = true;
      proxy.close(); // new connections refused; close() below still ends the severed ones
    },
    heal: () => {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) {
          p.client.destroy();
          p.server.destroy();
        }
        proxy.close(() => {
          resolve();
        });
      }),
  };
}

/** `url` (postgres://...@127.0.0.1:PORT/...) through `proxy`. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.port = String(proxy.port);
  return u.toString();
}
