/**
 * examples/ossec.conf, what `npm start` runs: it loads without a warning, its repeat offenders
 * are blocked for longer each time, and no alert of the fixtures is bound twice to the same
 * command (the second run would count as a repeat offence of the first: one alert, two offences).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigResult } from '../../../src/config/load-config.js';
import { planAlert } from '../../../src/core/match/plan-responses.js';
import { parseAlertLine } from '../../../src/protocol/alert.js';

const FIXTURES = 'test/fixtures/alerts';

void test('the example configuration loads without a warning; its repeat blocks grow', async () => {
  const r = await loadConfigResult('examples/ossec.conf', 'manager');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(r.config.warnings, []);
  assert.deepEqual(r.config.agent.repeatedOffenders, [60, 120, 1440]);
});

void test('no fixture alert fires the same command twice under the example configuration', async () => {
  const r = await loadConfigResult('examples/ossec.conf', 'manager');
  assert.ok(r.ok);
  const agents = [
    { id: '000', active: true },
    { id: '001', active: true },
  ];
  let fired = 0;
  for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
    for (const line of readFileSync(join(FIXTURES, name), 'utf8').split('\n')) {
      const parsed = parseAlertLine(line);
      if (!parsed.ok) {
        continue; // the malformed fixtures
      }
      const commands: string[] = planAlert(parsed.alert, r.config, { agents }).firing.map(
        (d) => d.rule.command.name,
      );
      fired += commands.length;
      assert.equal(
        new Set(commands).size,
        commands.length,
        `${name}: ${parsed.alert.id ?? '?'} fires ${commands.join(', ')}`,
      );
    }
  }
  assert.ok(fired >= 3, `the fixtures exercise the example (${fired} responses fired)`);
});
