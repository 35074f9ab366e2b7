import { describe, expect, it } from 'vitest';
import { redact } from '../core/source/index.js';

/** Where a credential can stand in a URL, and that each is masked wherever the URL is quoted. */
describe('redact', () => {
  it.each([
    ['https://x-access-token:ghs_abc@github.com/a/b.git', 'https://***@github.com/a/b.git'],
    ['https://TOKEN@github.com/a/b.git', 'https://***@github.com/a/b.git'],
    ['http://bob:pa@ss@host/x.git', 'http://***@host/x.git'],
    ['git+https://u:p@h/x', 'git+https://***@h/x'],
    ['ssh://u:pw@host/x', 'ssh://***@host/x'],
    ['ssh://git@host/x', 'ssh://git@host/x'],
    ['http://h/x.git?access_token=Q99&b=1', 'http://h/x.git?access_token=***&b=1'],
    ['https://h/dv?token=HOOK77#x', 'https://h/dv?token=***#x'],
    [
      "unable to access 'https://bot:s3cret@git.example.com/x.git/'",
      "unable to access 'https://***@git.example.com/x.git/'",
    ],
    ['1https://tok@host', '1https://***@host'],
    ['user@example.com wrote https://a@b.c/x', 'user@example.com wrote https://***@b.c/x'],
  ])('masks %s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('masks given secrets wherever they stand', () => {
    expect(redact('token ghs_123 in a line', ['ghs_123'])).toBe('token *** in a line');
  });
});
