/**
 * A manager host (SQLite, `conf` as its ossec.conf: empty by default) in a fresh temp root for the
 * duration of `fn`; its store is closed and the root removed afterwards, whatever `fn` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../../src/runtime/manager-host.js';

export async function withManagerHost(
  tmpPrefix: string,
  fn: (host: ManagerHost) => Promise<void>,
  conf = '<ossec_config></ossec_config>\n',
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), tmpPrefix));
  try {
    writeFileSync(join(root, 'ossec.conf'), conf);
    const host = await openManagerHost(
      { configPath: join(root, 'ossec.conf'), home: join(root, 'home') },
      false,
      'riposte-manager',
    );
    try {
      await fn(host);
    } finally {
      await host.store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
