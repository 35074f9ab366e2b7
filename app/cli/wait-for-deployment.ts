import { OutageWatch } from '../../core/jobs/index.js';
import { DEPLOYMENT_STATUSES, ENDED_DEPLOYMENT_STATUSES } from '../../core/rollouts/model.js';
import { waitOutRestarts } from './api-client.js';
import { type CommandContext, timeoutMs } from './command.js';
import { UsageError } from './parse-args.js';

const POLL_MS = 500;
const DEFAULT_TIMEOUT_S = 300;

/**
 * `slipway deployment wait`: polls a deployment until its status is one of `--status` and its
 * switched traffic has reached the desired share, then prints it and exits 0. It exits 1 when the
 * deployment ends in another status or the timeout passes, naming the status it was in.
 */
export async function waitForDeployment({
  client,
  id,
  options,
  printResult,
  note,
}: CommandContext): Promise<number> {
  const wanted = String(options.get('status') ?? '')
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
