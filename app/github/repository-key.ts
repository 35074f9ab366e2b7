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
