import { redact } from '../../core/source/index.js';

const PATTERNS: Array<[RegExp, string]> = [
  // GitHub tokens: installation (ghs_), personal (ghp_, github_pat_), OAuth (gho_), user (ghu_), refresh (ghr_).
  [/\b(gh[opsur]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '***'],
  // Authorization headers and bearer tokens.
  [/\b(authorization:\s*)(bearer|basic|token)\s+\S+/gi, '$1$2 ***'],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***'],
  // NAME=value, and "name": "value" in JSON, where the name says it is secret.
  [
    /\b([A-Za-z0-9_.-]*(?:secret|token|password|passwd|api[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*)=("?)[^\s"',;]+/gi,
    '$1=$2***',
  ],
  [
    /("[A-Za-z0-9_.-]*(?:secret|token|password|passwd|api[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*"\s*:\s*")[^"]*"/gi,
    '$1***"',
  ],
  // Private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '***'],
];

/**
 * Masks what looks like a secret in text that leaves Slipway (a check run's log tail): tokens,
 * credentials in URLs, authorization headers, `*_SECRET=...`-style assignments, private keys,
 * and any of `known` (secrets Slipway holds, such as a workspace's deployment secret).
 *
 * @example
 * maskSecrets('DB_PASSWORD=hunter2 pulled https://x:ghs_abc@github.com/a/b')
 * // 'DB_PASSWORD=*** pulled https://***@github.com/a/b'
 */
export function maskSecrets(text: string, known: readonly string[] = []): string {
  let masked = text;
  for (const secret of known) {
    if (secret.length >= 6) masked = masked.split(secret).join('***');
  }
  // Credentials in URLs, `https://user:secret@host` and token-only `https://TOKEN@host` alike.
  masked = redact(masked);
  for (const [pattern, replacement] of PATTERNS) masked = masked.replace(pattern, replacement);
  return masked;
}
