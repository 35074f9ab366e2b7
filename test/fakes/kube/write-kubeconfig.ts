import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

/**
 * Writes a kubeconfig for `url`, `token` and the CA to trust (cluster, user, context `kube-fake`, current-context)
 * into a new temporary directory; answers its path and a function removing the directory.
 */
export function writeKubeconfig(
  url: string,
  token: string,
  caPem?: string,
): { path: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-fake-'));
  const file = path.join(dir, 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kube-fake',
        cluster: caPem
          ? { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') }
          : { server: url },
      },
    ],
    users: [{ name: 'kube-fake', user: { token } }],
    contexts: [
      {
        name: 'kube-fake',
        context: { cluster: 'kube-fake', user: 'kube-fake', namespace: 'default' },
      },
    ],
    'current-context': 'kube-fake',
    preferences: {},
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return { path: file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
