import { Writable } from 'node:stream';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { Log } from '@kubernetes/client-node';
import type { LogLine } from '../types.js';

/** A queue an async generator can wait on. */
class LineQueue {
  private readonly lines: LogLine[] = [];
  private wake: (() => void) | undefined;

  push(line: LogLine): void {
    this.lines.push(line);
    this.notify();
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  take(): LogLine[] {
    return this.lines.splice(0);
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}

export interface PodLogOptions {
  follow: boolean;
  signal?: AbortSignal;
  /** The workload's pods right now (called again and again while following). */
  pods: () => Promise<V1Pod[]>;
  /** Following ends once this says the workload's run is over and every stream has ended. */
  finished: () => Promise<boolean>;
  container: string;
}

/**
 * The output of a workload's pods as log lines, tagged with the pod. Following attaches to pods
 * as they appear (a job's pod, a restarted replica) and ends when the run is over and every
 * pod's stream has closed, or when the signal aborts.
 */
export async function* podLogs(
  kubeConfig: KubeConfig,
  options: PodLogOptions,
): AsyncIterable<LogLine> {
  const log = new Log(kubeConfig);
  const queue = new LineQueue();
  const streams = new Map<string, { open: boolean; controller?: AbortController }>();
  let closed = false;
  const attach = (pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    if (!name || streams.has(name) || pod.status?.phase === 'Pending') return;
    const entry: { open: boolean; controller?: AbortController } = { open: true };
    streams.set(name, entry);
    let partial = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const text = partial + chunk.toString('utf8');
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        const time = new Date().toISOString();
        for (const line of parts) queue.push({ time, line: line.replace(/\r$/, ''), pod: name });
        callback();
      },
      final(callback) {
        if (partial) queue.push({ time: new Date().toISOString(), line: partial, pod: name });
        partial = '';
        entry.open = false;
        queue.notify();
        callback();
      },
    });
    // Not awaited: a follow request may not answer until the pod writes something, and that
    // must not hold up the other pods or the end of the stream.
    void log.log(namespace, name, options.container, sink, { follow: options.follow }).then(
      (controller) => {
        entry.controller = controller;
        if (closed) controller.abort();
      },
      () => {
        // The pod went away or has no logs yet; a later look may find it again.
        streams.delete(name);
        entry.open = false;
        queue.notify();
      },
    );
  };
  try {
    if (!options.follow) {
      for (const pod of await options.pods()) attach(pod);
      const deadline = Date.now() + 10_000;
      while ([...streams.values()].some((s) => s.open) && Date.now() < deadline)
        await queue.wait(50);
      yield* queue.take();
      return;
    }
    for (;;) {
      for (const pod of await options.pods()) attach(pod);
      yield* queue.take();
      if (options.signal?.aborted) return;
      const open = [...streams.values()].some((s) => s.open);
      if (!open && (await options.finished())) {
        yield* queue.take();
        return;
      }
      await queue.wait(250, options.signal);
    }
  } finally {
    closed = true;
    for (const stream of streams.values()) stream.controller?.abort();
  }
}
