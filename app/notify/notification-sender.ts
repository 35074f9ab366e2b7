import { createHmac } from 'node:crypto';
import type { OutboxEntry, Store } from '../../core/store/types.js';
import { type Clock, isoTime, type Logger } from '../../core/types.js';
import { NOTIFICATION_TOPIC } from './record-notifications.js';

export interface NotificationSenderOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** SLIPWAY_NOTIFY_URL: never logged (a chat's incoming webhook carries its key in the path). */
  url: string;
  /** SLIPWAY_NOTIFY_SECRET: signs each body (`X-Slipway-Signature-256`). */
  secret?: string;
  /** Idle poll for entries whose retry is due; new entries wake the sender. Default 1000 ms. */
  pollMs?: number;
  /** First retry delay, doubled per attempt up to `maxDelayMs`. Defaults 1 s and 5 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Attempts before a notification is given up on. Default 10: 1 s, 2 s ... 256 s apart, about
   * 8.5 minutes in all (longer when the receiver asks for it with `Retry-After`, at most an
   * hour a time).
   */
  maxAttempts?: number;
  /** How long one POST may take. Default 10 s. */
  requestTimeoutMs?: number;
  /** Counts what became of each attempt. */
  counted?: (outcome: 'sent' | 'retried' | 'failed') => void;
}

/** What a POST's answer means for its entry. */
interface Failure {
  retryable: boolean;
  reason: string;
  retryAfterMs?: number;
}

/**
 * Sends the notifications of the outbox to SLIPWAY_NOTIFY_URL, oldest first, one POST each:
 * a 2xx sends it; a 408, 429, 5xx, timeout or network error is retried with backoff (a
 * `Retry-After` first); any other answer gives it up, with a warning naming the receiver's
 * host and status. Each carries `X-Slipway-Delivery` (the job id: the same across retries).
 */
export class NotificationSender {
  private running = false;
  private draining: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  /** Aborts a POST under way when the sender stops: its entry waits for the next start. */
  private readonly stopping = new AbortController();
  private readonly host: string;

  constructor(private readonly options: NotificationSenderOptions) {
    this.host = new URL(options.url).host;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  /** Sends what is due now (a new entry was written). */
  wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Sends what is due for up to `drainMs`, then stops; the rest waits for the next start. */
  async stop(drainMs = 2000): Promise<void> {
    const deadline = Date.now() + drainMs;
    while (this.running && Date.now() < deadline && this.due(1).length > 0) {
      this.wake();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.running = false;
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.draining;
  }

  private due(limit: number): OutboxEntry[] {
    return this.options.store.dueOutbox(this.options.clock.now(), limit, [NOTIFICATION_TOPIC]);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
        if (this.running) this.schedule(this.again ? 0 : (this.options.pollMs ?? 1000));
        this.again = false;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    try {
      for (let batch = this.due(20); batch.length > 0 && this.running; batch = this.due(20)) {
        for (const entry of batch) {
          if (!this.running) return;
          await this.send(entry);
        }
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'notification sender failed');
    }
  }

  private async send(entry: OutboxEntry): Promise<void> {
    const { store, clock, logger, secret } = this.options;
    const body = JSON.stringify(entry.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Slipway',
      'x-slipway-event': String(entry.payload.event ?? 'job.ended'),
      'x-slipway-delivery': entry.key,
    };
    if (secret) {
      headers['x-slipway-signature-256'] =
        `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    }
    let failure: Failure | undefined;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([
          AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
          this.stopping.signal,
        ]),
      });
      await response.body?.cancel();
      if (!response.ok) failure = failureOf(response);
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      const reason =
        (error as Error)?.name === 'TimeoutError' ? 'no answer in time' : causeOf(error);
      failure = { retryable: true, reason };
    }
    const where = { jobId: entry.key, receiver: this.host, attempts: entry.attempts + 1 };
    if (!failure) {
      store.finishOutbox(entry.id, 'sent', isoTime(clock.now()));
      this.options.counted?.('sent');
      return;
    }
    if (!failure.retryable || entry.attempts + 1 >= (this.options.maxAttempts ?? 10)) {
      store.finishOutbox(entry.id, 'dead', isoTime(clock.now()), failure.reason);
      this.options.counted?.('failed');
      logger.warn({ ...where, reason: failure.reason }, `gave up notifying ${this.host}`);
      return;
    }
    const backoff = Math.min(
      (this.options.baseDelayMs ?? 1000) * 2 ** entry.attempts,
      this.options.maxDelayMs ?? 300_000,
    );
    const delay = failure.retryAfterMs ?? backoff;
    store.deferOutbox(entry.id, clock.now() + delay, failure.reason);
    this.options.counted?.('retried');
    logger.warn(
      { ...where, reason: failure.reason, retryInMs: delay },
      `notifying ${this.host} failed; retrying`,
    );
  }
}

function failureOf(response: Response): Failure {
  const reason = `${response.status} ${response.statusText}`.trim();
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  const after = Number(response.headers.get('retry-after'));
  return {
    retryable,
    reason:
      response.status >= 300 && response.status < 400
        ? `${reason} (a redirect is not followed)`
        : reason,
    ...(retryable && after > 0 ? { retryAfterMs: Math.min(after, 3600) * 1000 } : {}),
  };
}

/** Why a request got no answer, without the URL (undici puts it in some messages). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
