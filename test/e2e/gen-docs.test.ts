/**
 * Shell completions and the man page are generated from the CLI's commander definitions
 * (scripts/gen-docs.mjs, `npm run gen:docs`) and mention every command and subcommand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { buildFullProgram } from '../../src/cli/full-program.js';

function paths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}

test('gen:docs writes bash and zsh completions and riposte.1 covering every command', async () => {
  const out = mkdtempSync(join(tmpdir(), 'riposte-docs-'));
  try {
    const r = spawnSync(process.execPath, [resolve('scripts/gen-docs.mjs'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const bash = readFileSync(join(out, 'bash-completion/riposte'), 'utf8');
    const zsh = readFileSync(join(out, 'zsh/site-functions/_riposte'), 'utf8');
    const man = readFileSync(join(out, 'man/man1/riposte.1'), 'utf8');
    const all = paths(await buildFullProgram('0.0.0'));
    for (const name of ['start', 'agent', 'manager', 'ar', 'firewall', 'check', 'explain', 'agents']) {
      assert.ok(
        all.some((p) => p.join(' ') === name),
        `${name} is a command`,
      );
    }
    assert.ok(all.some((p) => p.join(' ') === 'firewall flush'));
    for (const p of all) {
      const path = p.join(' ');
      assert.ok(bash.includes(`'${path}')`), `bash completion lacks "${path}"`);
      assert.ok(
        zsh.includes(`_riposte_${p.map((w) => w.replace(/-/g, '_')).join('_')}()`),
        `zsh lacks "${path}"`,
      );
      assert.ok(man.includes(`.SS ${path.replace(/-/g, '\\-')}\n`), `man page lacks "${path}"`);
    }
    assert.equal(spawnSync('bash', ['-n', join(out, 'bash-completion/riposte')]).status, 0);
    const complete = (words: string): string =>
      spawnSync(
        'bash',
        [
          '-c',
          `source '${join(out, 'bash-completion/riposte')}'; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _riposte; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      ).stdout.trim();
    assert.match(complete("riposte ar ''"), /\blist\b/);
    assert.equal(complete('riposte fi'), 'firewall');
    assert.equal(complete("riposte firewall ''"), 'flush --help');
    assert.match(complete('riposte start --re'), /--revert-on-stop/);
    assert.match(man, /^\.TH RIPOSTE 1 /m);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
