/**
 * active-responses.log written in one go per batch step (inOneArLogWrite): the same lines in the
 * same order as line by line, written when the step returns or throws, nested steps join the outer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AR_LOG_RELATIVE_PATH, appendArLog, inOneArLogWrite } from '../../src/scripts/contract/ar-log.js';
import type { ScriptHost } from '../../src/protocol/script-io.js';
import { tempScriptHosts } from '../support/script-hosts.js';

const host = tempScriptHosts('riposte-arlog-');

const read = (h: ScriptHost): string => fs.readFileSync(path.join(h.home, AR_LOG_RELATIVE_PATH), 'utf8');

test('grouped lines are the lines logged one by one, in order, once the step returns', () => {
  const single = host('single');
  const grouped = host('grouped');
  const lines = ['Starting', '{"command":"add"}', 'Ended'];
  for (const l of lines) {
    appendArLog(single, l);
  }
  inOneArLogWrite(() => {
    for (const l of lines) {
      appendArLog(grouped, l);
    }
    assert.equal(
      fs.existsSync(path.join(grouped.home, AR_LOG_RELATIVE_PATH)),
      false,
      'held until the step returns',
    );
  });
  assert.equal(read(grouped), read(single));
  assert.equal(read(grouped), lines.map((l) => `2026/11/30 09:00:00 ${grouped.argv0}: ${l}\n`).join(''));
});

test('a step that throws still writes what it logged; a nested step joins the outer one', () => {
  const h = host('throws');
  assert.throws(() =>
    inOneArLogWrite(() => {
      appendArLog(h, 'one');
      inOneArLogWrite(() => {
        appendArLog(h, 'two');
      });
      throw new Error('boom');
    }),
  );
  assert.equal(read(h), `2026/11/30 09:00:00 ${h.argv0}: one\n2026/11/30 09:00:00 ${h.argv0}: two\n`);
});
