const PATIENCE_MS = 60_000;

/** How a client that polls a server waits out the server's outages. */
export interface OutageOptions {
  /**
   * Errors worth waiting out: the server restarting, or a proxy answering 503 while it does.
   * They are retried until `patienceMs` of them in a row; any other error ends the wait at once.
   */
  transient?: (error: unknown) => boolean;
  /** Default one minute. */
  patienceMs?: number;
  /** Told when an outage begins (its first transient error) and when it is over. */
  onOutage?: (event: { error: unknown; patienceMs: number } | 'over') => void;
  /** The server has answered this client already (the request that queued the job, say). */
  answeredBefore?: boolean;
}

/**
 * Keeps count of one outage of a polled server: a client reports each answer and each failed
 * call, and a failure is rethrown unless it is transient, the server has answered before (a
 * wrong address fails at once), and the outage is younger than its patience.
 *
 * @example
 * const outages = new OutageWatch({ transient: (e) => e instanceof UnreachableError });
 * try { state = await read(); outages.answered(); } catch (e) { outages.failed(e); }
 */
export class OutageWatch {
  private since: number | undefined;
  private heard: boolean;
  private readonly patienceMs: number;

  constructor(private readonly options: OutageOptions) {
    this.patienceMs = options.patienceMs ?? PATIENCE_MS;
    this.heard = options.answeredBefore === true;
  }

  /** The server answered: an outage, if there was one, is over. */
  answered(): void {
    this.heard = true;
    if (this.since === undefined) return;
    this.since = undefined;
    this.options.onOutage?.('over');
  }

  /** Makes one call of the poll: its answer, or undefined when its failure is waited out. */
  async attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      const answer = await call();
      this.answered();
      return answer;
    } catch (error) {
      this.failed(error);
      return undefined;
    }
  }

  /** A call failed: returns when the failure is to be waited out, else throws it. */
  failed(error: unknown): void {
    if (!this.heard || !this.options.transient?.(error)) throw error;
    const now = Date.now();
    if (this.since === undefined) {
      this.since = now;
      this.options.onOutage?.({ error, patienceMs: this.patienceMs });
    } else if (now - this.since >= this.patienceMs) {
      throw error;
    }
  }
}

/**
 * The lines a client tells of an outage: when it begins, what failed (`describe`) and how long
 * it will be retried; when the server answers again, that `what` goes on.
 */
export function tellOutages(
  tell: (line: string) => void,
  what: string,
  describe: (error: unknown) => string = (error) => (error as Error).message,
): NonNullable<OutageOptions['onOutage']> {
  return (outage) =>
    tell(
      outage === 'over'
        ? `Slipway answers again; ${what}`
        : `${describe(outage.error)}; retrying for up to ${outage.patienceMs / 1000} s`,
    );
}
