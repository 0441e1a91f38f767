/**
 * The layering of src/ (docs/architecture.md) is enforced by lint: the blocks of eslint.layers.js,
 * which eslint.config.js applies, reject an import from a higher layer. Each case lints a small
 * source text under a path in src/ (in memory, nothing written) with only those blocks and the
 * TypeScript parser, so it takes milliseconds instead of a type-aware run of the whole repository.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

/** dist/test/unit/ -> the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Layer {
  readonly name: string;
  readonly paths: readonly string[];
}

interface LayerModule {
  readonly LAYERS: readonly Layer[];
  readonly layerConfigs: readonly Linter.Config[];
}

async function importJs(file: string): Promise<unknown> {
  return (await import(pathToFileURL(join(ROOT, file)).href)) as unknown;
}

function isLayerModule(m: unknown): m is LayerModule {
  return (
    typeof m === 'object' &&
    m !== null &&
    'LAYERS' in m &&
    Array.isArray(m.LAYERS) &&
    'layerConfigs' in m &&
    Array.isArray(m.layerConfigs)
  );
}

let layers: LayerModule;
let eslint: ESLint;

/** Lints `source` as if it were the file `file` (relative to the root); returns its messages. */
async function lintAs(file: string, source: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(source, { filePath: join(ROOT, file) });
  assert.ok(result);
  return result.messages;
}

function restricted(messages: readonly Linter.LintMessage[]): string[] {
  return messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => m.message);
}

void describe('layer lint (import-x/no-restricted-paths)', () => {
  before(async () => {
    const m = await importJs('eslint.layers.js');
    assert.ok(isLayerModule(m), 'eslint.layers.js exports LAYERS and layerConfigs');
    layers = m;
    eslint = new ESLint({
      cwd: ROOT,
      overrideConfigFile: true,
      baseConfig: [
        { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
        ...layers.layerConfigs,
      ],
    });
  });

  void test('core importing the manager fails with the layer named', async () => {
    const msgs = await lintAs(
      'src/core/wrong-way.ts',
      "import { startManager } from '../manager/manager-core.js';\nexport const x = startManager;\n",
    );
    const errors = restricted(msgs);
    assert.equal(errors.length, 1, JSON.stringify(msgs));
    assert.match(errors[0] ?? '', /Layer "core" may not import from layer "services"/);
  });

  void test('an import downwards (core -> protocol) passes', async () => {
    const msgs = await lintAs(
      'src/core/right-way.ts',
      "import { ErrorCode } from '../protocol/error-codes.js';\nexport const x = ErrorCode.INTERNAL;\n",
    );
    assert.deepEqual(msgs, []);
  });

  void test('type-only imports count too (store -> manager)', async () => {
    const msgs = await lintAs(
      'src/store/wrong-way.ts',
      "import type { ManagerService } from '../manager/manager-service.js';\nexport type X = ManagerService;\n",
    );
    assert.equal(restricted(msgs).length, 1, JSON.stringify(msgs));
  });

  void test('agent and manager, one layer, do not import each other', async () => {
    const a = await lintAs('src/agent/wrong-way.ts', "export * from '../manager/manager-core.js';\n");
    const m = await lintAs('src/manager/wrong-way.ts', "export * from '../agent/boot-id.js';\n");
    assert.match(restricted(a)[0] ?? '', /src\/agent may not import src\/manager/);
    assert.match(restricted(m)[0] ?? '', /src\/manager may not import src\/agent/);
  });

  void test('the manager runtime is a composition root in src/runtime: it may import the link, the services may not', async () => {
    const source = "export * from '../link/link-server.js';\n";
    assert.deepEqual(await lintAs('src/runtime/manager-runtime.ts', source), []);
    const msgs = await lintAs('src/manager/manager-core.ts', source);
    assert.match(restricted(msgs)[0] ?? '', /Layer "services" may not import from layer "link"/);
  });

  void test('the CLI, on top, may import any layer', async () => {
    const msgs = await lintAs('src/cli/anything.ts', "export * from '../runtime/manager-runtime.js';\n");
    assert.deepEqual(msgs, []);
  });

  void test('every directory of src/ has exactly one layer', () => {
    const dirs = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `src/${d.name}`);
    for (const dir of dirs) {
      const owners = layers.LAYERS.filter((l) => l.paths.includes(dir)).map((l) => l.name);
      assert.equal(
        owners.length,
        1,
        `${dir} is in layers [${owners.join(', ')}]; add it to eslint.layers.js`,
      );
    }
  });

  void test('eslint.config.js applies these blocks', async () => {
    const m = await importJs('eslint.config.js');
    const config = typeof m === 'object' && m !== null && 'default' in m ? m.default : undefined;
    assert.ok(Array.isArray(config));
    for (const block of layers.layerConfigs) {
      assert.ok(config.includes(block), `missing block for ${JSON.stringify(block.files)}`);
    }
  });
});
