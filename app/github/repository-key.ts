/**
 * `owner/name` (lowercase) of a repository named as GitHub knows it: `owner/name`, an https or
 * ssh URL on github.com or on `gheHost`; undefined for anything else (a path, another host).
 *
 * @example
 * repositoryKey('https://github.com/Acme/Shop.git') // 'acme/shop'
 * repositoryKey('git@github.com:acme/shop.git')     // 'acme/shop'
 * repositoryKey('/srv/repos/shop')                  // undefined
 */
export function repositoryKey(value: string, gheHost?: string): string | undefined {
  const hosts = ['github.com', 'www.github.com', ...(gheHost ? [gheHost.toLowerCase()] : [])];
  const trimmed = value
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
  const bare = /^([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9._-]+)$/.exec(trimmed);
  if (bare && !trimmed.startsWith('.')) return trimmed.toLowerCase();
  const scp = /^[A-Za-z0-9._-]+@([^:/]+):([^/]+)\/([^/]+)$/.exec(trimmed);
  if (scp?.[1] && hosts.includes(scp[1].toLowerCase())) return `${scp[2]}/${scp[3]}`.toLowerCase();
  try {
    const url = new URL(trimmed);
    if (!hosts.includes(url.host.toLowerCase())) return undefined;
    const parts = url.pathname.split('/').filter(Boolean);
    return parts.length === 2 ? parts.join('/').toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `value`, a repository that `repositoryKey` reads, naming `to` (`owner/name`) instead, in the
 * same form: `owner/name`, an https URL (its credentials and query kept) or an ssh address, with
 * `.git` where it had one.
 *
 * @example
 * renamedRepository('https://github.com/acme/shop.git', 'acme/store') // 'https://github.com/acme/store.git'
 * renamedRepository('acme/shop', 'shop-co/shop')                      // 'shop-co/shop'
 */
export function renamedRepository(value: string, to: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  const git = /\.git$/i.test(trimmed) ? trimmed.slice(-4) : '';
  const bare = git ? trimmed.slice(0, -4) : trimmed;
  if (/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/.test(bare)) return `${to}${git}`;
  const scp = /^([A-Za-z0-9._-]+@[^:/]+:)[^/]+\/[^/]+$/.exec(bare);
  if (scp) return `${scp[1]}${to}${git}`;
  const url = new URL(trimmed);
  url.pathname = `/${to}${git}`;
  return url.href;
}
