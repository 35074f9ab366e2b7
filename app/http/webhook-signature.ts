import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks GitHub's HMAC of the raw body: `X-Hub-Signature-256` (`sha256=<hex>`) when sent, else
 * the legacy `X-Hub-Signature` (`sha1=<hex>`) that Matatika documents. Constant-time compare.
 */
export function checkGitHubSignature(
  body: Uint8Array,
  secret: string,
  headers: { sha256?: string | undefined; sha1?: string | undefined },
): SignatureCheck {
  const header = headers.sha256 ?? headers.sha1;
  if (!header) {
    return {
      ok: false,
      reason:
        'missing X-Hub-Signature-256 (or X-Hub-Signature) header; sign the body with the workspace deploymentSecret',
    };
  }
  const algorithm = headers.sha256 !== undefined ? 'sha256' : 'sha1';
  const name = algorithm === 'sha256' ? 'X-Hub-Signature-256' : 'X-Hub-Signature';
  const expected = createHmac(algorithm, secret).update(body).digest();
  // Exactly the digest's length in hex: Buffer.from(hex) would drop an odd last digit.
  const digits = expected.length * 2;
  const match = new RegExp(`^${algorithm}=([0-9a-f]{${digits}})$`, 'i').exec(header.trim());
  if (!match?.[1]) {
    return { ok: false, reason: `${name} must look like ${algorithm}=<${digits} hex digits>` };
  }
  const given = Buffer.from(match[1], 'hex');
  if (!timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: `${name} does not match the body signed with this workspace's deploymentSecret`,
    };
  }
  return { ok: true };
}
