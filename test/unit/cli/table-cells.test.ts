/**
 * What the CLI's tables print of text from outside (src/cli/format-table.ts `printable`,
 * src/cli/execution-note.ts): a key a custom script announced, an agent's note or a script's
 * stderr can hold terminal escape sequences (a user name taken from an attacker's log line), and
 * none reaches the operator's terminal as a control character: each is printed as an escape. A
 * failed execution's NOTE cell ends with the last line its script wrote to stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executionView } from '../../../src/api/routes/views.js';
import { formatExecutions } from '../../../src/cli/commands/manager-ar.js';
import { noteCell } from '../../../src/cli/execution-note.js';
import { followLine } from '../../../src/cli/follow-executions.js';
import { formatTable } from '../../../src/cli/format-table.js';
import { printable } from '../../../src/protocol/printable.js';
import { toApiTimes } from '../../../src/protocol/api-times.js';
import type { FleetExecution } from '../../../src/protocol/fleet-records.js';
import { execution } from '../../manager-api/fake-manager-service.js';

const ESC = '\u001b';
/** Control characters a terminal acts on: C0, DEL, C1 (CSI), the bidi marks. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const view = (over: Partial<FleetExecution>): ReturnType<typeof executionView> =>
  executionView(toApiTimes({ ...execution('001', 3), ...over }));

test('printable escapes C0, DEL, C1 and bidi controls, and leaves other text alone', () => {
  assert.equal(printable(`user-${ESC}]52;c;aGk=\u0007`), 'user-\\x1b]52;c;aGk=\\x07');
  assert.equal(printable('a\tb\nc\rd\u007fe\u009bf'), 'a\\x09b\\x0ac\\x0dd\\x7fe\\x9bf');
  assert.equal(printable('evil\u202eexe.txt\u2066'), 'evil\\u{202e}exe.txt\\u{2066}');
  assert.equal(
    printable("firewall-drop-2001:db8::1 é 名前 'quoted' \\"),
    "firewall-drop-2001:db8::1 é 名前 'quoted' \\",
  );
});

test('a table keeps its columns aligned on the escaped text', () => {
  const out = formatTable(
    ['KEY', 'AGENT'],
    [
      [`u-${ESC}[2J`, '001'],
      ['plain', '002'],
    ],
  );
  assert.equal(out, 'KEY        AGENT\nu-\\x1b[2J  001\nplain      002\n');
});

test('an execution table and a followed line print no control character from a key, a note or stderr', () => {
  const e = view({
    key: `lock-user-${ESC}[8mhidden`,
    status: 'failed',
    exitCode: 1,
    note: `agent says ${ESC}]0;pwned\u0007`,
    stderrTail: `first\ncannot lock ${ESC}[31mroot\u202e\n\n`,
  });
  for (const text of [formatExecutions([e], true), followLine(e)]) {
    assert.doesNotMatch(text.replaceAll('\n', ''), CONTROL, text);
    assert.ok(text.includes('lock-user-\\x1b[8mhidden'), text);
    assert.ok(
      text.includes('agent says \\x1b]0;pwned\\x07; stderr: cannot lock \\x1b[31mroot\\u{202e}'),
      text,
    );
  }
});

test("a failed or timed-out execution's note ends with its stderr's last line; a success's does not", () => {
  const failed = view({
    key: undefined,
    status: 'failed',
    exitCode: 255,
    note: 'no check_keys line: not tracked',
    stderrTail: "Cannot read 'srcip' from data or invalid IP format\n",
  });
  assert.equal(
    noteCell(failed),
    "no check_keys line: not tracked; stderr: Cannot read 'srcip' from data or invalid IP format",
  );
  assert.match(
    formatExecutions([failed], false),
    /failed {2}255 {3}no check_keys line: not tracked; stderr: Cannot/,
  );
  assert.equal(
    noteCell(
      view({ status: 'timed-out', exitCode: undefined, signal: 'SIGKILL', stderrTail: 'waiting for lock' }),
    ),
    'stderr: waiting for lock',
  );
  assert.equal(
    noteCell(view({ status: 'failed', note: 'revert (manual)', stderrTail: ' \n' })),
    'revert (manual)',
  );
  assert.equal(
    noteCell(view({ status: 'ok', note: 'active until x', stderrTail: 'a warning' })),
    'active until x',
  );
  const long = noteCell(view({ status: 'failed', stderrTail: 'x'.repeat(5000) }));
  assert.equal(long, `stderr: ${'x'.repeat(160)}... (5000 chars)`);
});
