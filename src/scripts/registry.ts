/**
 * The stock scripts Riposte ships, by executable name. The installer writes one shim per entry into
 * `<home>/active-response/bin/`, the standalone entry point looks scripts up here, and the agent runs
 * an entry in-process when the executable it was asked to run is one of our shims.
 *
 * One import and one array entry per script (aliases are separate entries with their own name).
 */
import type { StockScript } from './contract/stock-script.js';
import { firewallDrop } from './firewall/firewall-drop.js';
import { routeNull } from './route-null.js';
import { hostDeny } from './host-deny.js';
import { disableAccount } from './disable-account.js';
import { quarantine } from './quarantine.js';
import { notify, wazuhSlack } from './notify.js';
import { ipCustomBlock } from './ip-customblock.js';
import { restartOssecAlias, restartRiposte, restartWazuhAlias } from './restart-riposte.js';
import { firewalldDrop } from './firewalld-drop.js';

const scripts: readonly StockScript[] = [
  // stock scripts, one per line
  firewallDrop,
  routeNull,
  hostDeny,
  disableAccount,
  quarantine,
  notify,
  restartRiposte,
  restartWazuhAlias,
  restartOssecAlias,
  firewalldDrop,
  ipCustomBlock,
  wazuhSlack,
];

/** Stock scripts by name (the executable's basename under active-response/bin). */
export const stockScripts: ReadonlyMap<string, StockScript> = new Map(scripts.map((s) => [s.name, s]));
