import type { Runtime, WorkloadRef } from '../runtime/types.js';

const TAIL_LINES = 20;

/**
 * Copies a workload's output into a job log while it runs (DESIGN.md section 4: workload logs
 * survive pod deletion because they live in the job log), keeping the last lines of each for
 * failure messages. `stop()` ends the copies; `drain()` waits for run-to-completion ones to end
 * by themselves first.
 */
export class LogCopier {
  private readonly controller = new AbortController();
  private readonly tails = new Map<string, string[]>();
  private readonly copies = new Map<string, Promise<void>>();

  constructor(
    private readonly runtime: Runtime,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts copying `ref`'s output, each line prefixed with the workload name. */
  follow(ref: WorkloadRef): void {
    const key = refKey(ref);
    if (this.copies.has(key)) return;
    this.tails.set(key, []);
    this.copies.set(key, this.copy(ref, key));
  }

  private async copy(ref: WorkloadRef, key: string): Promise<void> {
    const tail = this.tails.get(key) ?? [];
    try {
      const lines = this.runtime.logs(ref, { follow: true, signal: this.controller.signal });
      for await (const entry of lines) {
        this.log(`[${ref.name}] ${entry.line}`);
        tail.push(entry.line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    } catch (error) {
      if (!this.controller.signal.aborted) {
        this.log(`[${ref.name}] (log copy ended: ${(error as Error).message})`);
      }
    }
  }

  /** The last lines `ref` wrote. */
  lastLines(ref: WorkloadRef, count = 10): string[] {
    return (this.tails.get(refKey(ref)) ?? []).slice(-count);
  }

  /** Waits up to `ms` for the given copies to end on their own (their run finished). */
  async drain(refs: WorkloadRef[], ms: number): Promise<void> {
    const pending = refs.map((ref) => this.copies.get(refKey(ref))).filter((p) => p !== undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Ends every copy. */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.copies.values());
  }
}

function refKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}
