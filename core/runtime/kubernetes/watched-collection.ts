import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { SlipwayError } from '../../errors.js';
import { backoffDelay } from '../../jobs/backoff.js';
import type { Logger } from '../../types.js';
import { toSlipwayError } from './api-errors.js';

/**
 * One resource collection kept current by list-then-watch (client-node's informer). A watch that
 * drops is resumed from the last resourceVersion it saw; one the server says is too old (410)
 * lists again. Reads are served from memory, so judging the health of 500 workloads costs no
 * API calls.
 */
export class WatchedCollection<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private starting: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly path: string,
    list: () => Promise<KubernetesListObject<T>>,
    labelSelector: string,
    private readonly logger: Logger,
    /** Called on every object added, changed or deleted. */
    changed: () => void = () => {},
  ) {
    // Not started here: ensureStarted() starts it and reports a first list that fails.
    this.informer = new ListWatch<T>(path, new Watch(kubeConfig), list, false, labelSelector);
    this.informer.on('change', () => changed());
    this.informer.on('error', (error: unknown) => this.restartLater(error));
    this.informer.on('connect', () => {
      this.failures = 0;
    });
  }

  /** Starts once; resolves when the first list is in. Throws when the server cannot be listed. */
  ensureStarted(): Promise<void> {
    this.starting ??= this.startFirst().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async startFirst(): Promise<void> {
    let lastError: unknown;
    const onError = (error: unknown) => {
      lastError = error;
    };
    this.informer.on('error', onError);
    try {
      await this.informer.start();
    } finally {
      this.informer.off('error', onError);
    }
    if (lastError !== undefined && !this.informer.latestResourceVersion()) {
      throw toSlipwayError(lastError, `list ${this.path}`);
    }
  }

  get(name: string, namespace: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): T[] {
    return [...this.informer.list(namespace)];
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    void this.informer.stop();
  }

  private restartLater(error: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const wait = backoffDelay(this.failures++, { baseMs: 200, maxMs: 10_000 });
    this.logger.warn(
      {
        path: this.path,
        err: error instanceof SlipwayError ? error.message : error,
        retryInMs: wait,
      },
      'watch failed; resuming',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.informer.start();
    }, wait);
    this.restartTimer.unref();
  }
}
