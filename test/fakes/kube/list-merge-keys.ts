/**
 * Which lists of the built-in kinds merge item by item, and on which keys. Kubernetes declares
 * this in its Go types (`patchMergeKey` for strategic merge patch, `listMapKeys` for server-side
 * apply); every other list is atomic (replaced whole). `path` holds the field names from the
 * object's root down to the list, list items stepping through their list's name.
 */
export function listMapKeys(path: readonly string[]): string[] | undefined {
  const name = path.at(-1);
  const parent = path.at(-2);
  switch (name) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return ['name'];
    case 'ports':
      if (
        parent === 'containers' ||
        parent === 'initContainers' ||
        parent === 'ephemeralContainers'
      ) {
        return ['containerPort', 'protocol'];
      }
      return path.length === 2 && path[0] === 'spec' ? ['port', 'protocol'] : undefined;
    case 'volumeMounts':
      return ['mountPath'];
    case 'volumeDevices':
      return ['devicePath'];
    case 'hostAliases':
      return ['ip'];
    case 'ownerReferences':
      return ['uid'];
    case 'conditions':
      return path[0] === 'status' ? ['type'] : undefined;
    case 'topologySpreadConstraints':
      return ['topologyKey', 'whenUnsatisfiable'];
    default:
      return undefined;
  }
}

/** The single `patchMergeKey` strategic merge patch uses for a list (the first listMapKey). */
export function patchMergeKey(path: readonly string[]): string | undefined {
  return listMapKeys(path)?.[0];
}

/** Lists of strings merged as sets by strategic merge patch (`patchStrategy:"merge"`). */
export function isMergedPrimitiveList(path: readonly string[]): boolean {
  return path.length === 2 && path[0] === 'metadata' && path[1] === 'finalizers';
}

/**
 * Maps and structs that server-side apply treats as one value (`+structType=atomic`,
 * `+mapType=atomic`): label selectors and node selectors.
 */
export function isAtomicMap(path: readonly string[]): boolean {
  const name = path.at(-1);
  return name === 'selector' || name === 'nodeSelector';
}

/** Key values of a list item, with the defaults Kubernetes fills in before keys are compared. */
export function itemKey(item: unknown, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  for (const k of keys) {
    const value = record[k] ?? (k === 'protocol' ? 'TCP' : undefined);
    if (value !== undefined) out[k] = value;
  }
  return out;
}

export function sameKey(a: unknown, b: unknown, keys: readonly string[]): boolean {
  const ka = itemKey(a, keys);
  const kb = itemKey(b, keys);
  return keys.every((k) => ka[k] === kb[k]);
}
