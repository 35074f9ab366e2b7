import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateToken } from './http/auth.js';

export interface AdminToken {
  token: string;
  /** Where it was read from or written to; null when it came from SLIPWAY_ADMIN_TOKEN. */
  file: string | null;
  /** True on the first start, when the token was just generated. */
  generated: boolean;
}

/** Where the generated admin token is kept in a data directory. */
export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

/**
 * The admin token: SLIPWAY_ADMIN_TOKEN when set, else `$SLIPWAY_DATA_DIR/admin-token`, generated
 * (mode 0600) on the first start. The caller prints where it is, never the token itself.
 */
export function loadAdminToken(dataDir: string, fromEnv: string | undefined): AdminToken {
  if (fromEnv) return { token: fromEnv, file: null, generated: false };
  const file = adminTokenFile(dataDir);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file, generated: false };
  }
  const token = generateToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, generated: true };
}
