/**
 * Prometheus gauges for the process's {@link storageHealth}: whether the disk is full, log lines
 * dropped for lack of space, execution outcomes waiting in memory for space.
 */
import { Gauge, type Registry } from 'prom-client';
import { storageHealth } from './storage-health.js';

export function defineStorageGauges(registers: Registry[]): void {
  new Gauge({
    name: 'riposte_disk_full',
    help: '1 while a write to the home (log or database) fails for lack of space, else 0',
    registers,
    collect() {
      this.set(storageHealth.snapshot().diskFull ? 1 : 0);
    },
  });
  new Gauge({
    name: 'riposte_log_lines_dropped_total',
    help: 'Daemon log lines dropped because the disk was full, since the process started',
    registers,
    collect() {
      this.set(storageHealth.snapshot().droppedLogLines);
    },
  });
  new Gauge({
    name: 'riposte_store_writes_deferred',
    help: 'Execution outcomes kept in memory until the disk has space again',
    registers,
    collect() {
      this.set(storageHealth.snapshot().deferredStoreWrites);
    },
  });
}
