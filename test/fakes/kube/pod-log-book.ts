export interface LogLine {
  time: Date;
  text: string;
}

/** One run of a container: its output so far and whether it has ended. */
export interface ContainerRun {
  lines: LogLine[];
  ended: boolean;
}

interface ContainerLogs {
  current?: ContainerRun;
  previous?: ContainerRun;
}

type Listener = { line: (line: LogLine) => void; end: () => void };

/**
 * What the kubelets' container runtimes would hold: each container's log of its current and
 * previous run, with followers notified of new lines and of the run's end.
 */
export class PodLogBook {
  private readonly logs = new Map<string, ContainerLogs>();
  private readonly listeners = new Map<string, Set<Listener>>();

  /** A new run of the container begins (the last one becomes `previous`). */
  start(podUid: string, container: string, lines: string[], at: Date = new Date()): void {
    const key = `${podUid}/${container}`;
    const logs = this.logs.get(key) ?? {};
    if (logs.current) logs.previous = logs.current;
    logs.current = { lines: [], ended: false };
    this.logs.set(key, logs);
    for (const text of lines) this.write(podUid, container, text, at);
  }

  write(podUid: string, container: string, text: string, at: Date = new Date()): void {
    const key = `${podUid}/${container}`;
    const run = this.logs.get(key)?.current;
    if (!run || run.ended) return;
    const line = { time: at, text };
    run.lines.push(line);
    for (const l of this.listeners.get(key) ?? []) l.line(line);
  }

  /** The container's current run ended (followers' streams end). */
  end(podUid: string, container: string): void {
    const key = `${podUid}/${container}`;
    const run = this.logs.get(key)?.current;
    if (run) run.ended = true;
    this.notifyEnd(key);
  }

  /**
   * The container's run ended and it will be restarted: until it is, its last run is both the
   * current and the previous one (as `kubectl logs [--previous]` shows in CrashLoopBackOff).
   */
  awaitRestart(podUid: string, container: string): void {
    this.end(podUid, container);
    const logs = this.logs.get(`${podUid}/${container}`);
    if (logs?.current) logs.previous = logs.current;
  }

  /** The pod is gone: its logs go and every follower's stream ends. */
  remove(podUid: string): void {
    for (const key of [...this.logs.keys(), ...this.listeners.keys()]) {
      if (key.startsWith(`${podUid}/`)) {
        this.logs.delete(key);
        this.notifyEnd(key);
      }
    }
  }

  run(podUid: string, container: string, previous: boolean): ContainerRun | undefined {
    const logs = this.logs.get(`${podUid}/${container}`);
    return previous ? logs?.previous : logs?.current;
  }

  follow(podUid: string, container: string, listener: Listener): () => void {
    const key = `${podUid}/${container}`;
    const set = this.listeners.get(key) ?? new Set();
    set.add(listener);
    this.listeners.set(key, set);
    return () => set.delete(listener);
  }

  private notifyEnd(key: string): void {
    const set = this.listeners.get(key);
    this.listeners.delete(key);
    for (const l of set ?? []) l.end();
  }
}
