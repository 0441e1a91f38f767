/**
 * A minimal `Reflect` metadata polyfill, installed before `@peculiar/x509` is loaded: that library
 * (through tsyringe) refuses to load without one, and no polyfill package is installed. It keeps
 * metadata in a WeakMap per target (and property), which is all tsyringe's decorators use.
 *
 * Import this module for its side effect, before any `@peculiar/x509` import. It does nothing when
 * a real polyfill is already present.
 */
type MetaMap = Map<unknown, unknown>;
type Key = string | symbol | undefined;

const store = new WeakMap<object, Map<Key, MetaMap>>();

function mapFor(target: object, property: Key, create: boolean): MetaMap | undefined {
  let byProp = store.get(target);
  if (!byProp && create) {
    byProp = new Map();
    store.set(target, byProp);
  }
  let meta = byProp?.get(property);
  if (!meta && create && byProp) {
    meta = new Map();
    byProp.set(property, meta);
  }
  return meta;
}

function getMetadata(key: unknown, target: object, property?: Key): unknown {
  let t: object | null = target;
  while (t !== null) {
    const meta = mapFor(t, property, false);
    if (meta?.has(key)) {
      return meta.get(key);
    }
    t = Object.getPrototypeOf(t) as object | null;
  }
  return undefined;
}

const shim = {
  defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
    mapFor(target, property, true)?.set(key, value);
  },
  getMetadata,
  getOwnMetadata(key: unknown, target: object, property?: Key): unknown {
    return mapFor(target, property, false)?.get(key);
  },
  hasMetadata(key: unknown, target: object, property?: Key): boolean {
    return getMetadata(key, target, property) !== undefined;
  },
  metadata(key: unknown, value: unknown) {
    return (target: object, property?: Key): void => {
      shim.defineMetadata(key, value, target, property);
    };
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect['getMetadata'] !== 'function') {
  for (const [name, fn] of Object.entries(shim)) {
    reflect[name] = fn;
  }
}
