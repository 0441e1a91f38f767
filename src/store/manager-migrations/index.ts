/** The manager store's migrations, in order (see migrate.ts). */
import { managerMigration0001 } from './0001-manager-init.js';
import { managerMigration0002 } from './0002-manager-settings.js';
import { managerMigration0003 } from './0003-manager-console-indexes.js';
import { managerMigration0004 } from './0004-manager-failure-indexes.js';
import { managerMigration0005 } from './0005-manager-counters.js';
import { managerMigration0006 } from './0006-manager-agent-lookups.js';

export { SETTINGS_SQL } from './0002-manager-settings.js';

export const MANAGER_MIGRATIONS = [
  managerMigration0001,
  managerMigration0002,
  managerMigration0003,
  managerMigration0004,
  managerMigration0005,
  managerMigration0006,
];
