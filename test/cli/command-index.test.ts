/**
 * The lazy command index (src/cli/commands/index.ts): `riposte --help` shows each entry's summary
 * without loading the command, so the summary must stay the command's own description, and each
 * loader must register exactly the command it is named after.
 *
 * Not in the unit layer: loading every command loads nearly all of src/ and its dependencies
 * (about 5 s on a busy machine), which would double `npm run test:unit`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { commandIndex } from '../../src/cli/commands/index.js';

void describe('CLI command index', () => {
  for (const entry of commandIndex) {
    void test(`"${entry.name}": the loader registers it, with the summary as its description`, async () => {
      const program = new Command('riposte');
      for (const register of await entry.load()) {
        register(program);
      }
      assert.deepEqual(
        program.commands.map((c) => c.name()),
        [entry.name],
      );
      assert.equal(program.commands[0]?.description(), entry.summary);
    });
  }

  void test('names are unique', () => {
    const names = commandIndex.map((e) => e.name);
    assert.equal(new Set(names).size, names.length);
  });
});
