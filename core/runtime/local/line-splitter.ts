/**
 * A line longer than this is cut into pieces of this length, so that a process that never writes
 * a newline cannot fill memory, and no log line is longer.
 */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Splits a stream's chunks into lines: a partial line waits for the rest, `\r\n` counts as one
 * newline, and `flush()` emits a last line that had no newline.
 *
 * @example
 * const splitter = new LineSplitter((line) => lines.push(line));
 * splitter.write('a\nb'); splitter.write('c\n'); // 'a', 'bc'
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  write(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.emitCut(part.endsWith('\r') ? part.slice(0, -1) : part);
    while (this.partial.length > MAX_LINE_CHARS) {
      this.emit(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
  }

  /** A whole line, in pieces when it is longer than the limit. */
  private emitCut(line: string): void {
    let rest = line;
    while (rest.length > MAX_LINE_CHARS) {
      this.emit(rest.slice(0, MAX_LINE_CHARS));
      rest = rest.slice(MAX_LINE_CHARS);
    }
    this.emit(rest);
  }

  flush(): void {
    if (this.partial)
      this.emit(this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial);
    this.partial = '';
  }
}
