/** A task run at once and then every interval, stopped with `stop()`. */
export interface Periodic {
  /** No new run starts; resolves once the one under way (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `run` now and then every `intervalMs`, never two runs at a time (a tick that finds a run
 * still under way is skipped); a run that fails is handed to `onError`, and the next goes on.
 * The timer does not keep the process alive.
 *
 * @example
 * const poller = runPeriodically(60_000, () => poll(), (error) => logger.warn({ err: error }));
 * await poller.stop();
 */
export function runPeriodically(
  intervalMs: number,
  run: () => Promise<unknown>,
  onError: (error: unknown) => void,
): Periodic {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = run()
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
