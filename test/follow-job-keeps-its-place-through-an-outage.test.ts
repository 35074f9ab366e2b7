import { describe, expect, it } from 'vitest';
import { followJob, type JobSource } from '../core/jobs/index.js';

class Outage extends Error {}

/**
 * A job whose log grows by four lines each time its state is read, ending after `polls` reads,
 * served two lines a page. `failing` says which calls fail: the nth call overall, and for a
 * page of the log the sequence it starts at.
 */
function scriptedSource(
  polls: number,
  failing: (call: number, sequence?: number) => boolean,
): JobSource & { lines: string[] } {
  const lines: string[] = [];
  let reads = 0;
  let call = 0;
  const attempt = (sequence?: number) => {
    call += 1;
    if (failing(call, sequence)) throw new Outage(`call ${call} failed`);
  };
  return {
    lines,
    async job(id) {
      attempt();
      reads += 1;
      if (reads <= polls) for (let i = 0; i < 4; i++) lines.push(`line ${lines.length}`);
      return { id, type: 'WORKSPACE_DEPLOY', status: reads >= polls ? 'COMPLETE' : 'RUNNING' };
    },
    async logs(_id, sequence) {
      attempt(sequence);
      const page = lines.slice(sequence, sequence + 2);
      return { lines: page, next: sequence + page.length };
    },
  };
}

function collect() {
  const printed: string[] = [];
  return {
    printed,
    sink: { info: (line: string) => printed.push(line), startGroup() {}, endGroup() {} },
  };
}

describe('following a job through an outage of its source', () => {
  it('prints every line once, in order, when calls fail between pages of the log', async () => {
    // The second page of each poll's lines fails once, after the first page was printed; and
    // some state reads fail too.
    const failed = new Set<number>();
    let failures = 0;
    const source = scriptedSource(5, (call, sequence) => {
      const fails = failing(call, sequence);
      if (fails) failures += 1;
      return fails;
    });
    function failing(call: number, sequence?: number): boolean {
      if (sequence === undefined) return call === 4 || call === 9;
      if (sequence % 4 !== 2 || failed.has(sequence)) return false;
      failed.add(sequence);
      return true;
    }
    const { printed, sink } = collect();
    const events: string[] = [];
    const { job, timedOut } = await followJob(source, 'j', sink, {
      timeoutMs: 10_000,
      pollMs: 1,
      transient: (error) => error instanceof Outage,
      onOutage: (event) => events.push(event === 'over' ? 'over' : 'began'),
    });
    expect(job.status).toBe('COMPLETE');
    expect(timedOut).toBe(false);
    expect(printed).toEqual(source.lines);
    expect(printed).toHaveLength(20);
    expect(failed.size).toBe(5);
    // Every outage is told when it begins and when the next answer ends it; failures in a row
    // are one outage.
    expect(failures).toBeGreaterThanOrEqual(6);
    const outages = events.length / 2;
    expect(outages).toBeGreaterThanOrEqual(5);
    expect(events).toEqual(Array.from({ length: outages }, () => ['began', 'over']).flat());
  });

  /** Follows `source` with outages transient, expecting it to end with an Outage: how long it took. */
  async function failsAfter(source: JobSource, patienceMs: number): Promise<number> {
    const started = Date.now();
    await expect(
      followJob(source, 'j', collect().sink, {
        timeoutMs: 60_000,
        pollMs: 5,
        patienceMs,
        transient: (error) => error instanceof Outage,
      }),
    ).rejects.toBeInstanceOf(Outage);
    return Date.now() - started;
  }

  it('gives up with the error once the outage outlasts its patience', async () => {
    const took = await failsAfter(
      scriptedSource(100, (call) => call > 3),
      200,
    );
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(5_000);
  });

  it('ends at once on an error that is not transient, and on any error without a rule', async () => {
    const { sink } = collect();
    const refused = scriptedSource(10, (call) => call === 2);
    await expect(
      followJob(refused, 'j', sink, {
        timeoutMs: 60_000,
        pollMs: 1,
        transient: (error) => !(error instanceof Outage),
      }),
    ).rejects.toBeInstanceOf(Outage);
    const ruleless = scriptedSource(10, (call) => call === 2);
    await expect(
      followJob(ruleless, 'j', sink, { timeoutMs: 60_000, pollMs: 1 }),
    ).rejects.toBeInstanceOf(Outage);
  });

  it('reports a timeout with the job as last seen when the deadline passes during an outage', async () => {
    const source = scriptedSource(100, (call) => call > 3);
    const { sink } = collect();
    const { job, timedOut } = await followJob(source, 'j', sink, {
      timeoutMs: 100,
      pollMs: 5,
      patienceMs: 60_000,
      transient: (error) => error instanceof Outage,
    });
    expect(timedOut).toBe(true);
    expect(job.status).toBe('RUNNING');
  });

  it('does not wait for a source that never answered: a wrong address fails at once', async () => {
    expect(
      await failsAfter(
        scriptedSource(10, () => true),
        60_000,
      ),
    ).toBeLessThan(1000);
  });

  it('waits out a first failure when the server answered the client before (it queued the job)', async () => {
    const source = scriptedSource(2, (call) => call <= 3);
    const { printed, sink } = collect();
    const { job } = await followJob(source, 'j', sink, {
      timeoutMs: 60_000,
      pollMs: 5,
      transient: (error) => error instanceof Outage,
      answeredBefore: true,
    });
    expect(job.status).toBe('COMPLETE');
    expect(printed).toEqual(source.lines);
  });
});

describe('following a job from a source that can hold a request for the next line', () => {
  /** `scriptedSource` with `awaitLogs`: the held page is served like any other, or fails. */
  function holdingSource(polls: number, holdFails: (hold: number) => boolean) {
    const source = scriptedSource(polls, () => false);
    let holds = 0;
    return Object.assign(source, {
      holds: () => holds,
      async awaitLogs(id: string, sequence: number, waitMs: number) {
        holds += 1;
        expect(waitMs).toBeGreaterThan(0);
        if (holdFails(holds)) throw new Outage(`hold ${holds} failed`);
        return source.logs(id, sequence);
      },
    });
  }

  it('waits in the held request, not pollMs, and prints what it brings once, in order', async () => {
    const source = holdingSource(5, () => false);
    const { printed, sink } = collect();
    // A follower that slept pollMs between looks would take minutes.
    const { job } = await followJob(source, 'j', sink, { timeoutMs: 60_000, pollMs: 60_000 });
    expect(job.status).toBe('COMPLETE');
    expect(printed).toEqual(source.lines);
    expect(printed).toHaveLength(20);
    expect(source.holds()).toBe(4);
  });

  it('falls back to pollMs when a held request fails, and keeps its place', async () => {
    const source = holdingSource(5, (hold) => hold % 2 === 1);
    const { printed, sink } = collect();
    const { job } = await followJob(source, 'j', sink, {
      timeoutMs: 60_000,
      pollMs: 5,
      transient: (error) => error instanceof Outage,
    });
    expect(job.status).toBe('COMPLETE');
    expect(printed).toEqual(source.lines);
  });
});
