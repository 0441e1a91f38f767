// The layers of src/, lowest first, and the lint rule that enforces them (docs/architecture.md).
// A file may import from its own layer and from the layers below it, never from a layer above.
// eslint.config.js applies `layerConfigs()`; test/unit/lint-layers.test.ts lints deliberately
// wrong imports with the same blocks and checks that every directory of src/ has a layer.
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/**
 * `paths` are directories or single files, relative to the repository root. A file listed in a
 * higher layer while its directory is in a lower one belongs to the higher layer only (none is
 * today: every composition root lives in src/runtime).
 */
export const LAYERS = [
  { name: 'protocol', paths: ['src/protocol'] },
  { name: 'core', paths: ['src/core'] },
  {
    name: 'adapters',
    paths: [
      'src/config',
      'src/store',
      'src/exec',
      'src/ingest',
      'src/scripts',
      'src/log',
      'src/home',
      'src/pki',
      'src/types',
      'src/net',
      'src/cluster',
    ],
  },
  { name: 'services', paths: ['src/agent', 'src/manager', 'src/local'] },
  { name: 'link', paths: ['src/link'] },
  { name: 'api', paths: ['src/api', 'src/manager-api'] },
  { name: 'runtime', paths: ['src/runtime'] },
  { name: 'cli', paths: ['src/cli'] },
];

/** Directories of one layer that must not import each other either (both ways). */
export const SEPARATE = [['src/agent', 'src/manager']];

const isFile = (p) => p.endsWith('.ts');
const globOf = (p) => (isFile(p) ? p : `${p}/**/*.ts`);

/** Paths of higher layers that lie inside `dir` (composition roots), to take out of its block. */
function carvedOut(dir, index) {
  return LAYERS.slice(index + 1)
    .flatMap((l) => l.paths)
    .filter((p) => p.startsWith(`${dir}/`))
    .map(globOf);
}

function zone(from, message) {
  return { target: './src', from: from.map((p) => `./${p}`), message };
}

function zonesFor(layer, index, path) {
  const above = LAYERS.slice(index + 1).map((higher) =>
    zone(
      higher.paths,
      ` Layer "${layer.name}" may not import from layer "${higher.name}" (see docs/architecture.md).`,
    ),
  );
  const siblings = SEPARATE.filter((group) => group.includes(path)).map((group) => {
    const others = group.filter((q) => q !== path);
    return zone(
      others,
      ` ${path} may not import ${others.join(', ')}: they meet only in higher layers (see docs/architecture.md).`,
    );
  });
  return [...above, ...siblings];
}

/**
 * Lets import-x follow the `.js` specifiers of our ESM sources to their `.ts` files and parse them;
 * without these settings it resolves nothing, and no-restricted-paths and no-cycle see no import.
 */
export const importResolverSettings = {
  'import-x/extensions': ['.ts', '.js', '.mjs'],
  'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
  'import-x/resolver-next': [
    createNodeResolver({
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.json', '.node'],
      extensionAlias: { '.js': ['.ts', '.js'] },
    }),
  ],
};

/** One flat-config block per layer path (each src file falls in exactly one). */
export const layerConfigs = LAYERS.flatMap((layer, index) =>
  layer.paths.map((p) => ({
    files: [globOf(p)],
    ignores: isFile(p) ? [] : carvedOut(p, index),
    plugins: { 'import-x': importX },
    settings: importResolverSettings,
    rules: {
      'import-x/no-restricted-paths':
        index === LAYERS.length - 1 ? 'off' : ['error', { zones: zonesFor(layer, index, p) }],
    },
  })),
);
