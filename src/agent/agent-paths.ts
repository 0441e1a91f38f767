/**
 * The agent's home layout, like a Wazuh install dir plus Riposte's own `var/`:
 *   etc/ossec.conf, etc/shared/ar.conf, active-response/bin/, logs/active-responses.log,
 *   logs/riposte.log, queue/alerts/execq, var/agent.db, var/agent.pid, var/api.sock, var/api.token
 */
import { join } from 'node:path';

export interface AgentPaths {
  readonly home: string;
  readonly ossecConf: string;
  readonly arConf: string;
  readonly bin: string;
  readonly execq: string;
  readonly db: string;
  readonly pidFile: string;
  readonly apiSocket: string;
  readonly apiToken: string;
  readonly quarantine: string;
}

export function agentPaths(home: string): AgentPaths {
  return {
    home,
    ossecConf: join(home, 'etc', 'ossec.conf'),
    arConf: join(home, 'etc', 'shared', 'ar.conf'),
    bin: join(home, 'active-response', 'bin'),
    execq: join(home, 'queue', 'alerts', 'execq'),
    db: join(home, 'var', 'agent.db'),
    pidFile: join(home, 'var', 'agent.pid'),
    apiSocket: join(home, 'var', 'api.sock'),
    apiToken: join(home, 'var', 'api.token'),
    quarantine: join(home, 'quarantine'),
  };
}
