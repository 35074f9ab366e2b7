import { readFileSync } from 'node:fs';
import { EnvError } from '../env.js';

/**
 * The App's private key: `PRIVATE_KEY` (a PEM, its newlines possibly written as `\n`) or the
 * file at `PRIVATE_KEY_PATH`. Anything that is not a PEM private key stops the start with one
 * line that does not show the key.
 */
export function readPrivateKey(env: { PRIVATE_KEY?: string; PRIVATE_KEY_PATH?: string }): string {
  let key: string;
  let name: string;
  if (env.PRIVATE_KEY) {
    key = env.PRIVATE_KEY.replace(/\\n/g, '\n');
    name = 'PRIVATE_KEY';
  } else {
    name = 'PRIVATE_KEY_PATH';
    try {
      key = readFileSync(env.PRIVATE_KEY_PATH ?? '', 'utf8');
    } catch (error) {
      throw new EnvError(
        `PRIVATE_KEY_PATH is "${env.PRIVATE_KEY_PATH}"; expected a readable file (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(key)) {
    // A path is no secret: the file it names is shown, never what it holds.
    const shown = name === 'PRIVATE_KEY_PATH' ? `"${env.PRIVATE_KEY_PATH}"` : '(hidden)';
    const holds = name === 'PRIVATE_KEY_PATH' ? 'a file holding ' : '';
    throw new EnvError(
      `${name} is ${shown}; expected ${holds}a PEM private key (-----BEGIN RSA PRIVATE KEY-----)`,
    );
  }
  return key.trim();
}
