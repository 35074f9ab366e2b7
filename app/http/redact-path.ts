import { redact } from '../../core/source/index.js';

/** `user:secret@` with no scheme before it (`x-access-token:ghs_...@github.com:a/b`). */
const BARE_CREDENTIAL = /(^|[\s/])[^\s/@:]+:[^\s/@]+@/g;

/**
 * A request path fit for the log: credentials in it removed. A repository URL travels in a path
 * as one percent-encoded segment (`https%3A%2F%2Fuser%3Atoken%40host%2Fx`), so each segment is
 * decoded before it is redacted; a segment that carried one is logged decoded and re-encoded.
 *
 * @example
 * redactPath('/v1/task/deploy/https%3A%2F%2Fme%3Aghp_x%40github.com%2Fa%2Fb/hello')
 * // '/v1/task/deploy/https%3A%2F%2F***%40github.com%2Fa%2Fb/hello'
 */
export function redactPath(path: string): string {
  // Every credential in a URL ends at an `@`; most paths have none, and every request is logged.
  if (!path.includes('@') && !/%40/i.test(path)) return path;
  return path
    .split('/')
    .map((segment) => {
      const decoded = decodeSegment(segment);
      // Only a segment with an `@` can carry a credential: the others are not scanned at all.
      if (!decoded.includes('@')) return segment;
      const clean = redact(decoded).replace(BARE_CREDENTIAL, '$1***@');
      return clean === decoded ? segment : encodeURIComponent(clean);
    })
    .join('/');
}

/** The segment decoded; a malformed escape (`%E0%A4%A`) leaves the others still decoded. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}
