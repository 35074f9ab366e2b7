import { describe, expect, it } from 'vitest';
import { maskSecrets } from '../app/github/mask-secrets.js';
import { renamedRepository, repositoryKey } from '../app/github/repository-key.js';

describe('the log tail a check run carries', () => {
  it.each([
    ['DB_PASSWORD=hunter2 started', 'DB_PASSWORD=*** started'],
    [
      'cloning https://x-access-token:ghs_0123456789abcdefghijABCDEFGHIJ0123@github.com/a/b.git',
      'cloning https://***@github.com/a/b.git',
    ],
    ['token ghs_0123456789abcdefghijABCDEFGHIJ0123 used', 'token *** used'],
    ['Authorization: Bearer eyJhbGciOi.payload.sig', 'Authorization: Bearer ***'],
    ['{"apiKey": "abc123", "name": "web"}', '{"apiKey": "***", "name": "web"}'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '***'],
  ])('masks %j', (line, masked) => {
    expect(maskSecrets(line)).toBe(masked);
  });

  it('masks the secrets Slipway holds, and leaves ordinary lines alone', () => {
    expect(maskSecrets('echo s3cr3t-deploy-value', ['s3cr3t-deploy-value'])).toBe('echo ***');
    const plain = 'job web created; tokens: 3 created, 0 changed in 1.2 s';
    expect(maskSecrets(plain)).toBe(plain);
  });
});

describe('a workspace repository matched to a GitHub event', () => {
  it.each([
    ['acme/shop', 'acme/shop'],
    ['Acme/Shop', 'acme/shop'],
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['https://github.com/acme/shop/', 'acme/shop'],
    ['git@github.com:acme/shop.git', 'acme/shop'],
    ['https://ghe.example.com/acme/shop.git', 'acme/shop'],
    ['https://gitlab.com/acme/shop.git', undefined],
    ['/srv/repos/shop', undefined],
    ['./acme/shop', undefined],
    ['shop', undefined],
  ])('%s is %s', (value, key) => {
    expect(repositoryKey(value, 'ghe.example.com')).toBe(key);
  });
});

describe('a workspace repository following a rename on GitHub', () => {
  it.each([
    ['acme/shop', 'acme/store', 'acme/store'],
    ['Acme/Shop.git', 'shop-co/shop', 'shop-co/shop.git'],
    ['https://github.com/acme/shop.git', 'acme/store', 'https://github.com/acme/store.git'],
    ['https://github.com/acme/shop/', 'acme/store', 'https://github.com/acme/store'],
    [
      'https://user:s3cret@ghe.example.com/acme/shop?access_token=t',
      'beta/shop',
      'https://user:s3cret@ghe.example.com/beta/shop?access_token=t',
    ],
    ['git@github.com:acme/shop.git', 'acme/store', 'git@github.com:acme/store.git'],
  ])('%s renamed to %s is %s', (value, to, renamed) => {
    expect(renamedRepository(value, to)).toBe(renamed);
    expect(repositoryKey(renamed, 'ghe.example.com')).toBe(to.toLowerCase());
  });
});
