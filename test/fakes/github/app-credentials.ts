import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';

export interface AppCredentials {
  /** PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), the format GitHub hands out for App keys. */
  privateKey: string;
  publicKey: KeyObject;
  webhookSecret: string;
}

/** A fresh RSA 2048 key pair and webhook secret for one fake GitHub App. */
export function createAppCredentials(): AppCredentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey,
    webhookSecret: randomBytes(20).toString('hex'),
  };
}
