import { OutageWatch } from '../../core/jobs/index.js';
import {
  DEPLOYMENT_STATUSES,
  type DeploymentStatus,
  ENDED_DEPLOYMENT_STATUSES,
} from '../../core/rollouts/model.js';
import { mayMove } from '../../core/rollouts/transitions.js';
import { waitOutRestarts } from './api-client.js';
import { type CommandContext, stringFlag, timeoutMs } from './command.js';
import { UsageError } from './parse-args.js';

const POLL_MS = 500;
const DEFAULT_TIMEOUT_S = 300;

/**
 * `slipway deployment wait`: polls a deployment until its status is one of `--status` and its
 * switched traffic has reached the desired share, then prints it and exits 0. It exits 1 when the
 * deployment ends in another status or the timeout passes, naming the status it was in.
 */
export async function waitForDeployment(context: CommandContext): Promise<number> {
  const { id, options, note, goesOn } = context;
  const wanted = (stringFlag(options, 'status') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0) {
    throw new UsageError(
      `--status is missing; expected one or more of ${DEPLOYMENT_STATUSES.join(', ')}`,
    );
  }
  for (const status of wanted) {
    if (!(DEPLOYMENT_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(
        `--status "${status}" is not a deployment status; expected one of ${DEPLOYMENT_STATUSES.join(', ')}`,
      );
    }
  }
  const waitMs = timeoutMs(options, DEFAULT_TIMEOUT_S);
  goesOn(goesOnHint(id));
  // The loop looks at the deadline between requests; one the server never answers must not
  // hold the wait past --timeout.
  let last: Deployment | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<number>((resolve) => {
    // setTimeout takes at most 2^31-1 ms (about 24 days); the poll's own check covers longer.
    if (waitMs >= 2 ** 31) return;
    timer = setTimeout(() => {
      note(
        `deployment ${id} ${last ? `is still ${last.status}` : 'did not answer'} after ${waitMs / 1000} s; waited for ${wanted.join(' or ')}`,
      );
      resolve(1);
    }, waitMs);
  });
  const polling = poll(context, wanted, waitMs, (seen) => {
    last = seen;
    goesOn(goesOnHint(id, seen.status));
  });
  try {
    return await Promise.race([polling, deadline]);
  } finally {
    clearTimeout(timer);
    // The requests still in flight are dropped once the command returns; so is their failure.
    polling.catch(() => {});
  }
}

/** Polls until the deployment is as wanted (0), ended otherwise (1), or `waitMs` passed (1). */
async function poll(
  { client, id, printResult, note }: CommandContext,
  wanted: string[],
  waitMs: number,
  seen: (deployment: Deployment) => void,
): Promise<number> {
  const deadline = Date.now() + waitMs;
  const outages = new OutageWatch(waitOutRestarts(note, `waiting for deployment ${id}`));
  let last: Deployment | undefined;
  for (;;) {
    const answer = await outages.attempt(() =>
      client.request('GET', `/deployment/${id}`, { query: { include_messages: 'true' } }),
    );
    if (!answer) {
      if (Date.now() >= deadline) {
        note(
          `deployment ${id} ${last ? `is still ${last.status}` : 'did not answer'} after ${waitMs / 1000} s; waited for ${wanted.join(' or ')}`,
        );
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    last = answer.body as Deployment;
    seen(last);
    const settled =
      last.strategy_data?.switched_traffic === undefined ||
      last.strategy_data.desired_switched_traffic === undefined ||
      last.strategy_data.switched_traffic === last.strategy_data.desired_switched_traffic;
    if (wanted.includes(last.status) && settled) {
      printResult(last);
      return 0;
    }
    if ((ENDED_DEPLOYMENT_STATUSES as readonly string[]).includes(last.status)) {
      const error = last.messages?.filter((m) => m.level === 'error').at(-1);
      note(
        `deployment ${id} ended ${last.status}, not ${wanted.join(' or ')}${error ? `: ${error.message}` : ''}`,
      );
      printResult(last);
      return 1;
    }
    if (Date.now() >= deadline) {
      note(
        `deployment ${id} is still ${last.status} after ${waitMs / 1000} s; waited for ${wanted.join(' or ')}`,
      );
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

interface Deployment {
  status: string;
  messages?: Array<{ level: string; message: string }>;
  strategy_data?: { switched_traffic?: number; desired_switched_traffic?: number };
}

/** What Ctrl-C leaves behind: the deployment goes on, and how to cancel it while it may be. */
function goesOnHint(id: string | undefined, status?: string): string {
  if (status === undefined) return `deployment ${id} goes on on the server`;
  const cancel = mayMove(status as DeploymentStatus, 'cancelling')
    ? ` (slipway deployment patch --id ${id} --body '{"status": "cancelling"}' cancels it)`
    : '';
  return `deployment ${id} is still ${status}; it goes on on the server${cancel}`;
}
