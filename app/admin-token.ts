import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    if (/\s/.test(token)) {
      throw new Error(
        `${file} holds a token with spaces or line breaks inside it; expected one token (or delete the file to have a new one generated)`,
      );
    }
    if (token.length >= 16) return { token, file, generated: false };
  }
  const token = generateToken();
  writePrivateFile(file, `${token}\n`);
  return { token, file, generated: true };
}

/**
 * Writes `file` with mode 0600 whatever was there: `writeFileSync` applies a mode only when it
 * creates the file, so a file left 0644 would stay readable by everyone. The rename is atomic.
 */
function writePrivateFile(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
