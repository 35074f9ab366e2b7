import {
  FollowTimeoutError,
  followJob,
  type JobSource,
  type LogSink,
} from '../core/jobs/follow-job.js';
import { OutageWatch } from '../core/jobs/outage-watch.js';
import { restJobSource } from '../core/jobs/rest-job-source.js';
import { ENDED_DEPLOYMENT_STATUSES } from '../core/rollouts/model.js';
import type { Settings } from './inputs.js';
import { jobOutcome, type Outcome } from './outcome.js';
import { type Answer, RemoteClient, RemoteError, waitOutRestarts } from './remote-client.js';

/** The server's jobs, as `followJob` reads them. */
function jobSource(client: RemoteClient): JobSource {
  return restJobSource((path, accept, hold) =>
    client.request('GET', path, {
      accept,
      // followJob keeps the deadline of its own, and abandons a request there (signal).
      until: Number.POSITIVE_INFINITY,
      ...(hold ? { holdSeconds: hold.seconds } : {}),
      ...(hold?.signal ? { signal: hold.signal } : {}),
    }),
  );
}

/**
 * Told when the step begins to wait on a job and when that wait is over, however it ended (the
 * job ended, the timeout passed, the server could not be reached). A wait that began and never
 * ended is one the workflow cancelled.
 */
export interface WaitWatch {
  /** `url`: the job's page on the server. */
  waiting(id: string, url: string): void;
  over(): void;
}

/**
 * Remote mode: the command as REST calls to a Slipway server. Job commands queue a job and
 * (with `wait`) follow its log to the end; release commands change a nullplatform deployment
 * and wait for it to settle.
 */
export async function runRemote(
  settings: Settings & { mode: { kind: 'remote' } },
  sink: LogSink,
  watch: WaitWatch,
): Promise<Outcome> {
  // The timeout counts from the step's start: a server that stops answering at any point
  // (finding the workspace, queueing the job) cannot hold the step past it.
  const until = Date.now() + settings.timeoutMs;
  const client = new RemoteClient(settings.mode.serverUrl, settings.mode.token, until);
  // The job's page on the server's dashboard: its log, live while it runs (the JSON is at
  // /api/jobs/<id>).
  const jobUrl = (id: string) => `${client.url}/jobs/${id}`;
  const follow = async (id: unknown, what: string): Promise<Outcome> => {
    if (typeof id !== 'string' || id === '') {
      // JSON, but not a queued job: another service at this address.
      throw new RemoteError(
        `${what}: the server answered no job id; is ${client.url} the address of a Slipway server?`,
        0,
      );
    }
    sink.info(`${what}: job ${id} (${jobUrl(id)})`);
    if (!settings.wait) {
      const job = await jobSource(client).job(id);
      return {
        jobId: id,
        status: job.status,
        url: jobUrl(id),
        summary: `${what}: ${job.status}, not waited for`,
        title: `${what}: ${job.status}`,
        rows: [],
      };
    }
    watch.waiting(id, jobUrl(id));
    const seconds = settings.timeoutMs / 1000;
    try {
      const { job, timedOut, stalled } = await followJob(jobSource(client), id, sink, {
        timeoutMs: Math.max(until - Date.now(), 0),
        ...waitOutRestarts((line) => sink.info(line), `following job ${id}`),
        answeredBefore: true,
      });
      const outcome = jobOutcome(job, jobUrl(id), what, timedOut);
      if (stalled) {
        outcome.failure = `Slipway at ${client.url} stopped answering, and the timeout (${seconds} s) passed; ${what} was ${job.status} when last read and goes on: ${jobUrl(id)}`;
      }
      return outcome;
    } catch (error) {
      if (!(error instanceof FollowTimeoutError)) throw error;
      // The job is known: the step still says which, and where to follow it.
      const failure = `Slipway at ${client.url} did not answer within the timeout (${seconds} s); ${what} (job ${id}) goes on: ${jobUrl(id)}`;
      return {
        jobId: id,
        status: 'QUEUED',
        url: jobUrl(id),
        summary: `${what}: queued, then Slipway stopped answering`,
        title: `${what}: no answer from Slipway (timeout)`,
        rows: [],
        failure,
      };
    } finally {
      watch.over();
    }
  };
  const branch = settings.branch ?? settings.run.branch;

  switch (settings.command) {
    case 'deploy-workspace': {
      const workspace = await findWorkspace(client, settings.workspace as string);
      const query = new URLSearchParams({
        ...(settings.dryRun ? { plan: 'true' } : {}),
        ...(settings.commit ? { commit: settings.commit } : {}),
        ...(settings.force ? { force: 'true' } : {}),
      }).toString();
      const { body } = await client.request(
        'POST',
        `/api/workspaces/${workspace.id}/deployments${query ? `?${query}` : ''}`,
      );
      const at = settings.commit ? ` at ${settings.commit.slice(0, 12)}` : '';
      return follow(
        body.id,
        `${settings.dryRun ? 'plan of' : 'deploy of'} workspace ${workspace.name}${at}`,
      );
    }
    case 'deploy-task': {
      const { body } = await client.request(
        'POST',
        `/v2/task/elaborate/deploy/${segment(settings.repository, 'repository')}/${segment(settings.directory, 'directory')}`,
        { body: compact({ namespace: settings.namespace, name: settings.name, branch }) },
      );
      return follow(body.id, `deploy of task ${body.namespace}/${body.name}`);
    }
    case 'run-pipeline': {
      const name = settings.name ?? lastPart(settings.directory, settings.repository);
      const { body } = await client.request(
        'POST',
        `/v2/pipeline/elaborate/run/${segment(settings.repository, 'repository')}/${segment(settings.directory, 'directory')}/${segment(name, 'name')}`,
        { body: compact({ namespace: settings.namespace, branch }) },
      );
      return follow(body.id, `run of pipeline ${name}`);
    }
    default:
      return runRelease(client, settings, sink, until);
  }
}

/** deploy-release, switch-traffic, finalize, cancel: a nullplatform deployment on a scope. */
async function runRelease(
  client: RemoteClient,
  settings: Settings,
  sink: LogSink,
  until: number,
): Promise<Outcome> {
  const scope = (await client.request('GET', `/scope/${settings.scope}`)).body;
  let id: number;
  let wanted: string[];
  let traffic: number | undefined;
  if (settings.command === 'deploy-release') {
    const { body } = await client.request('POST', '/deployment', {
      body: { scope_id: settings.scope, release_id: settings.release },
    });
    id = body.id;
    wanted = body.strategy === 'initial' ? ['finalized'] : ['running'];
    sink.info(
      `deployment ${id} of release ${settings.release} on scope ${scope.name}: ${body.strategy}`,
    );
  } else {
    id = await openDeployment(client, settings.scope as number, scope.name);
    if (settings.command === 'switch-traffic') {
      traffic = settings.traffic as number;
      await client.request('PATCH', `/deployment/${id}`, {
        body: { strategy_data: { desired_switched_traffic: traffic } },
      });
      wanted = ['running'];
    } else if (settings.command === 'finalize') {
      await client.request('PATCH', `/deployment/${id}`, { body: { status: 'finalizing' } });
      wanted = ['finalized'];
    } else {
      await client.request('PATCH', `/deployment/${id}`, { body: { status: 'cancelling' } });
      wanted = ['rolled_back', 'cancelled'];
    }
    sink.info(`deployment ${id} on scope ${scope.name}: ${settings.command}`);
  }
  const what = `${settings.command} on scope ${scope.name}`;
  const base = { jobId: String(id), url: '', title: what, rows: [] as string[][] };
  if (!settings.wait) {
    // Not waited for: the deployment's status as it stands now, in the API's own words, and
    // where the scope serves.
    const now = (await client.request('GET', `/deployment/${id}`)).body;
    const address = (await client.request('GET', `/scope/${settings.scope}`)).body.address;
    return {
      ...base,
      status: now.status,
      url: address ?? '',
      summary: `deployment ${id} ${now.status} (${what}, not waited for)`,
    };
  }
  const outages = new OutageWatch({
    ...waitOutRestarts((line) => sink.info(line), `waiting for deployment ${id}`),
    answeredBefore: true,
  });
  let printed = 0;
  for (;;) {
    let d: Answer['body'];
    try {
      d = (await client.request('GET', `/deployment/${id}?include_messages=true`)).body;
      outages.answered();
    } catch (error) {
      outages.failed(error);
      // Past the timeout the step fails with what the server last did not answer.
      if (Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    const messages = (d.messages ?? []) as Array<{ date: string; message: string; level: string }>;
    for (const m of messages.slice(printed)) sink.info(`${m.date} ${m.message}`);
    printed = messages.length;
    const data = d.strategy_data ?? {};
    const reached =
      wanted.includes(d.status) &&
      data.switched_traffic === data.desired_switched_traffic &&
      (traffic === undefined || data.switched_traffic === traffic);
    const ended = (ENDED_DEPLOYMENT_STATUSES as readonly string[]).includes(d.status);
    if (!reached && !ended && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    const error = messages.filter((m) => m.level === 'error').at(-1);
    const share = `${data.switched_traffic ?? 0} % of traffic on the new release`;
    return {
      ...base,
      status: d.status,
      // Where the scope serves its traffic.
      // Past the timeout too: the step tells where the scope serves, whatever came of it.
      url:
        (await client.request('GET', `/scope/${settings.scope}`, { until: Date.now() + 30_000 }))
          .body.address ?? '',
      summary: `deployment ${id} ${d.status}, ${share}`,
      rows: [
        [
          'deployment',
          String(id),
          `${d.status}, ${share}`,
          `${data.healthy_instances ?? 0}/${data.amount_instances_to_wait ?? 0} instances healthy`,
        ],
      ],
      ...(reached
        ? {}
        : {
            failure: ended
              ? `deployment ${id} ended ${d.status}${error ? `: ${error.message}` : ''}`
              : `deployment ${id} is still ${d.status} after the timeout`,
          }),
    };
  }
}

/** The scope's deployment that is neither finalized nor ended. */
async function openDeployment(client: RemoteClient, scope: number, name: string): Promise<number> {
  const { body } = await client.request('GET', `/deployment?scope_id=${scope}&limit=200`);
  const open = (body.results as Array<{ id: number; status: string }>).filter((d) =>
    ['creating', 'waiting_for_instances', 'running', 'finalizing', 'cancelling'].includes(d.status),
  );
  const last = open.at(-1);
  if (!last)
    throw new RemoteError(`scope ${name} (${scope}) has no deployment in progress to change`, 404);
  return last.id;
}

async function findWorkspace(
  client: RemoteClient,
  nameOrId: string,
): Promise<{ id: string; name: string }> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nameOrId)) {
    return (await client.request('GET', `/api/workspaces/${nameOrId}`)).body;
  }
  for (let page = 0; ; page++) {
    const { body } = await client.request('GET', `/api/workspaces?page=${page}&size=100`);
    const workspaces = (body._embedded?.workspaces ?? []) as Array<{ id: string; name: string }>;
    const found = workspaces.find((ws) => ws.name === nameOrId);
    if (found) return found;
    if (workspaces.length < 100) break;
  }
  throw new RemoteError(`no workspace is named "${nameOrId}" on ${client.url}`, 404);
}

/** A path segment; "." and ".." cannot travel in a URL path. */
function segment(value: string, input: string): string {
  if (value === '.' || value === '..') {
    throw new RemoteError(
      `Input "${input}" is "${value}"; the server needs a named directory, such as tasks/hello`,
      0,
    );
  }
  return encodeURIComponent(value);
}

function lastPart(directory: string, repository: string): string {
  const parts = (directory === '.' ? repository : directory).split('/');
  return parts.at(-1) ?? 'pipeline';
}

function compact(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
}
