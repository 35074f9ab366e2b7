import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../core/runtime/local/line-splitter.js';

/**
 * No log line of a local process is longer than 64 KB: one that is, whether it arrives whole in
 * one chunk or across several, is cut into pieces of that length.
 */
describe('the local runtime line splitter', () => {
  const LIMIT = 64 * 1024;
  const split = (...chunks: string[]) => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    for (const chunk of chunks) splitter.write(chunk);
    splitter.flush();
    return lines;
  };

  it('cuts a long line that arrives whole, with its newline, in one chunk', () => {
    const lines = split(`short\n${'Z'.repeat(70_000)}\nafter\n`);
    expect(lines.map((l) => l.length)).toEqual([5, LIMIT, 70_000 - LIMIT, 5]);
    expect(lines.join('')).toBe(`short${'Z'.repeat(70_000)}after`);
  });

  it('cuts a long line that arrives in pieces, and one with no newline at all', () => {
    expect(split('Y'.repeat(40_000), `${'Y'.repeat(40_000)}\r\n`).map((l) => l.length)).toEqual([
      LIMIT,
      80_000 - LIMIT,
    ]);
    expect(split('X'.repeat(3 * LIMIT + 1)).map((l) => l.length)).toEqual([LIMIT, LIMIT, LIMIT, 1]);
  });

  it('keeps lines apart across chunks and drops the \\r of \\r\\n', () => {
    expect(split('a\r\nb', 'c\n', 'd')).toEqual(['a', 'bc', 'd']);
  });
});
