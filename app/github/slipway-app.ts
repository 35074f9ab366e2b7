import type { Probot } from 'probot';
import type { Engine } from '../../core/engine.js';
import { isSlipwayError } from '../../core/errors.js';
import type { GroupCommit } from '../../core/store/group-commit.js';
import type { Job, Workspace } from '../../core/types.js';
import type { PullRequestNow } from '../../core/workspaces/previews.js';
import type { Installations } from './installations.js';
import { checkNameOf, type GitHubOrigin, githubOriginOf, originParams } from './origin.js';
import { renamedRepository, repositoryKey } from './repository-key.js';

/** What one delivery did: the jobs it queued (or found, on a redelivery), or why nothing. */
export interface DeliveryOutcome {
  jobs: Array<{
    workspace: string;
    job: string;
    kind: 'deploy' | 'plan';
    created: boolean;
    /** Not deployed: the workspace's deploys are paused (the job is STOPPED and says so). */
    held?: true;
  }>;
  ignored?: string;
  /** Preview workspaces of the pull request: made, being removed, or why none was made. */
  previews?: Array<
    { workspace: string; action: 'made' | 'removing' | 'remaking' } | { refused: string }
  >;
}

export interface SlipwayAppDeps {
  engine: Engine;
  installations: Installations;
  /** Filled per delivery id for the webhook route to answer with. */
  outcomes: Map<string, DeliveryOutcome>;
  /** The group commit every handler writes through. */
  commits: GroupCommit;
  gheHost?: string;
}

/** How many of a workspace's latest deploys a re-run check suite looks through for its commit. */
const RECENT_JOBS = 50;

/** How long a user's permission on a repository, as GitHub said it, is taken as still so. */
const GRANT_KEPT_MS = 60_000;
/** Permissions kept at most (the oldest goes first). */
const GRANTS_KEPT = 1000;

/** Who sent a pull request event, and their permission on its repository as GitHub says it. */
interface Grant {
  login: string | null;
  /** GitHub's legacy permission: admin, write (maintain too), read (triage too) or none. */
  permission: string;
  /** GitHub did not say (an error, or no answer in time): why. */
  failed?: string;
}

/**
 * How long a webhook's answer waits for GitHub to say who may push (GitHub gives up on a
 * delivery after 10 s, and a plan must not wait on GitHub).
 */
const GRANT_WAIT_MS = 3000;

interface Repo {
  full_name: string;
  owner: { login: string } | null;
  /** GitHub's id of the repository: it keeps it through renames and transfers. */
  id?: number;
}

/**
 * The GitHub App's event handlers (DESIGN.md section 8). They only queue jobs, so a delivery is
 * answered in milliseconds: `push` deploys the pushed commit to every workspace on that
 * repository and branch; `pull_request` plans the head commit against the workspaces of the base
 * branch; `check_run`/`check_suite` `rerequested` deploy that commit again; installation events
 * are recorded. A delivery id makes each job once, however often GitHub redelivers it.
 */
export function slipwayApp({ engine, installations, outcomes, commits, gheHost }: SlipwayAppDeps) {
  const outcomeOf = (delivery: string): DeliveryOutcome => {
    const outcome = outcomes.get(delivery) ?? { jobs: [] };
    outcomes.set(delivery, outcome);
    return outcome;
  };
  /**
   * Runs a handler's writes in the group commit: deliveries that arrive together commit together,
   * and the webhook's 2xx waits for the commit. A handler may run twice (alone after a shared
   * commit failed), so it starts from a clean outcome; each delivery has one handler.
   */
  const committed = (delivery: string, handle: () => void): Promise<void> =>
    commits.run(() => {
      outcomes.delete(delivery);
      handle();
    });
  const ignore = (delivery: string, why: string) => {
    outcomeOf(delivery).ignored = why;
  };
  const remember = (payload: { installation?: { id: number }; repository?: Repo }) => {
    if (payload.installation && payload.repository) {
      // A late event under a former name must not put that name back.
      const name = installations.currentName(payload.repository);
      installations.seen(payload.installation.id, name.split('/')[0] ?? '', name);
    }
  };
  const workspacesOf = (repository: Repo, branch?: string): Workspace[] => {
    const key = installations.currentName(repository).toLowerCase();
    // Every URL form of owner/name contains the name: the store narrows, the key decides.
    const name = key.slice(key.indexOf('/') + 1);
    return (
      engine.workspaces
        .mentioning(name)
        .filter((ws) => repositoryKey(ws.repositoryUrl, gheHost) === key)
        .filter((ws) => branch === undefined || ws.branch === branch)
        // Its delete removes what it runs: a deploy now would make it again.
        .filter((ws) => !engine.workspaces.isBeingDeleted(ws.id))
    );
  };
  /**
   * The workspaces of a pull request's base branch that give it a preview: with previews on,
   * and its label on the pull request when they name one.
   */
  const previewParents = (payload: PreviewEventPayload): Workspace[] => {
    const now = pullNow(payload);
    return workspacesOf(payload.repository, now.base).filter((ws) =>
      engine.previews.wants(ws, now),
    );
  };
  const grants = new Map<string, Grant & { until: number }>();
  /**
   * The sender's permission on the repository, when a pull request event may make or deploy a
   * preview (it runs the branch's code): only who may push gets one. Undefined when the event
   * makes and deploys none. Asked of GitHub with the installation's token, kept a minute.
   */
  const previewGrant = async (
    payload: PreviewEventPayload,
    octokit: { request: (route: string, parameters: object) => Promise<{ data: unknown }> },
  ): Promise<Grant | undefined> => {
    const pull = payload.pull_request;
    const parents = previewParents(payload);
    // A fork's pull request gets none whoever sent it (see `previewPull`).
    if (parents.length === 0 || !sameRepository(payload)) return undefined;
    const made = (parent: Workspace) =>
      engine.previews.list(parent.id).some((p) => p.pullRequest === pull.number && !p.closed);
    if (payload.action !== 'opened' && payload.action !== 'reopened' && parents.every(made)) {
      return undefined;
    }
    const login = payload.sender?.login ?? null;
    if (!login) return { login, permission: 'none' };
    const key = `${payload.repository.full_name}/${login}`.toLowerCase();
    const kept = grants.get(key);
    if (kept && kept.until > Date.now()) return kept;
    const [owner, repo] = payload.repository.full_name.split('/');
    const signal = AbortSignal.timeout(GRANT_WAIT_MS);
    // The signal ends the request; the race ends a wait for the installation's token as well.
    const asked = octokit
      .request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
        owner,
        repo,
        username: login,
        request: { signal },
      })
      .then(({ data }) => String((data as { permission?: unknown }).permission ?? 'none'));
    let permission: string;
    try {
      permission = await Promise.race([
        asked,
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      ]);
    } catch (error) {
      asked.catch(() => {});
      // No such user (a deleted account): no permission. Anything else is asked next time.
      if ((error as { status?: number }).status === 404) permission = 'none';
      else {
        const status = (error as { status?: number }).status;
        const reason = signal.aborted
          ? `no answer in ${GRANT_WAIT_MS / 1000} s`
          : status
            ? `GitHub answered ${status}`
            : String((error as Error).message ?? error).slice(0, 200);
        return { login, permission: 'unknown', failed: reason };
      }
    }
    grants.delete(key);
    grants.set(key, { login, permission, until: Date.now() + GRANT_KEPT_MS });
    if (grants.size > GRANTS_KEPT) grants.delete(grants.keys().next().value as string);
    return { login, permission };
  };

  const queue = (
    delivery: string,
    workspace: Workspace,
    origin: Omit<GitHubOrigin, 'checkName' | 'environment'>,
    sender: string | undefined,
    /** For a push: where the branch was before it. Anything else deploys what it names. */
    push?: { before: string | undefined },
  ) => {
    // Its delete (or, for a preview, its pull request's close) removes what it runs: a deploy
    // now would make it again. Said, not refused: GitHub would count a 4xx as a failure.
    if (engine.workspaces.isBeingDeleted(workspace.id)) {
      return ignore(
        delivery,
        `workspace '${workspace.name}' is being deleted; nothing more is deployed to it`,
      );
    }
    const plan = origin.kind === 'plan';
    const scope = plan && origin.pullRequest !== undefined ? `pull/${origin.pullRequest}` : '';
    const { job, created } = engine.workspaces.deploy(workspace.id, {
      commitId: origin.headSha,
      // A delivery may queue a deploy and plans for one workspace (a re-run suite): one key each.
      deliveryId: `${delivery}/${workspace.id}${plan ? `/plan${scope ? `/${scope}` : ''}` : ''}`,
      identity: sender ? `github:${sender}` : 'github',
      plan,
      // Nobody asked Slipway: a paused workspace holds it, and its check run says so.
      automatic: true,
      // A push GitHub delivers after a newer one's deploys the branch head, and leaves the
      // newer one's queued deploy be; a re-run deploys the commit it names.
      ...(push ? { push: true, before: push.before ?? null } : {}),
      ...(scope ? { planScope: scope } : {}),
      origin: originParams({
        ...origin,
        checkName: checkNameOf(workspace.name, origin.kind),
        environment: workspace.name,
      }),
    });
    outcomeOf(delivery).jobs.push({
      workspace: workspace.name,
      job: job.id,
      kind: origin.kind,
      created,
      ...(job.params.held === true ? { held: true as const } : {}),
    });
  };

  /** Queues a deploy (or plan) of `headSha` for every workspace of the repository and branch. */
  const queueBranch = (
    delivery: string,
    repository: Repo,
    branch: string,
    origin: Omit<GitHubOrigin, 'checkName' | 'environment' | 'repository'>,
    sender: string | undefined,
    push?: { before: string | undefined },
  ) => {
    const workspaces = workspacesOf(repository, branch);
    if (workspaces.length === 0) {
      return ignore(delivery, `no workspace deploys ${repository.full_name} branch ${branch}`);
    }
    // Under the name it has now: a push GitHub sends late names the repository as it was.
    const current = installations.currentName(repository);
    for (const workspace of workspaces) {
      queue(delivery, workspace, { ...origin, repository: current }, sender, push);
    }
  };

  /**
   * The previews of a pull request that opened or moved, for each workspace of its base branch
   * with previews on: made unless they exist, and then deployed at the pull request's head.
   * An existing one is deployed again when the pull request (re)opens; otherwise the push to its
   * branch deploys it. Deployed as a push of the head is: an event GitHub delivers late deploys
   * the branch head, not its older commit. A pull request from a fork gets none: its code would
   * run with the workspace's access to the cluster.
   */
  const previewPull = (
    delivery: string,
    payload: PreviewEventPayload,
    installationId: number,
    grant: Grant | undefined,
  ) => {
    const pull = payload.pull_request;
    // Again, in the transaction: what was read before asking GitHub may have changed.
    const parents = previewParents(payload);
    if (parents.length === 0) return;
    const previews: NonNullable<DeliveryOutcome['previews']> = [];
    const told = () => {
      if (previews.length === 0) return;
      const outcome = outcomeOf(delivery);
      outcome.previews = [...(outcome.previews ?? []), ...previews];
    };
    const repository = payload.repository.full_name;
    if (!sameRepository(payload) || !pull.head.ref) {
      const from = pull.head.repo?.full_name;
      previews.push({
        refused: `pull request #${pull.number} comes from ${from ? `the fork ${from}` : 'a repository that no longer exists'}; only pull requests from branches of ${repository} get previews, since a preview runs their code`,
      });
      return told();
    }
    if (grant?.failed) {
      previews.push({
        refused: `could not ask GitHub whether ${grant.login} may push to ${repository} (${grant.failed}); the pull request's next push asks again`,
      });
      return told();
    }
    if (grant && grant.permission !== 'admin' && grant.permission !== 'write') {
      previews.push({
        refused: `${grant.login ?? 'the sender'} may not push to ${repository} (permission: ${grant.permission}); only who may push gets a preview of a pull request, since a preview runs its branch's code`,
      });
      return told();
    }
    for (const parent of parents) {
      // Nobody was asked whether the sender may push (every preview was made when the handler
      // looked, or there were none to make), and one is to be made now: the next event asks.
      const made = engine.previews
        .list(parent.id)
        .some((p) => p.pullRequest === pull.number && !p.closed);
      if (grant === undefined && !made) {
        previews.push({
          refused: `no preview of pull request #${pull.number} for workspace '${parent.name}' yet: it was not wanted when the event came in, so no one asked GitHub whether ${payload.sender?.login ?? 'the sender'} may push; the pull request's next event asks`,
        });
        continue;
      }
      const opened = engine.previews.open(parent, {
        repository,
        pullRequest: pull.number,
        branch: pull.head.ref,
        updatedAt: pull.updated_at ?? undefined,
        reopened: payload.action === 'reopened',
        head: pull.head.sha,
        by: senderIdentity(payload),
      });
      if ('remaking' in opened && opened.remaking !== undefined) {
        // Reopened while its last preview is being removed: made again once that is done.
        previews.push({ workspace: opened.remaking, action: 'remaking' });
        continue;
      }
      if (opened.workspace === undefined) {
        previews.push({ refused: opened.refused });
        continue;
      }
      if (opened.created) previews.push({ workspace: opened.workspace.name, action: 'made' });
      // A push deploys it: a synchronize, an edit or a label only makes a missing one.
      if (!opened.created && payload.action !== 'opened' && payload.action !== 'reopened') {
        continue;
      }
      // As a push of the head: an event delivered late (GitHub does not promise order, and
      // redelivers what failed) deploys the branch head rather than take the preview back.
      queue(
        delivery,
        opened.workspace,
        { installationId, repository, headSha: pull.head.sha, kind: 'deploy' },
        payload.sender?.login,
        { before: undefined },
      );
    }
    told();
  };

  /**
   * Closes the previews an open pull request no longer gets as its event shows it now
   * (retargeted to another branch, or a label taken off), and says so in the answer.
   */
  const closeLeftBehind = (delivery: string, payload: PreviewEventPayload) => {
    const pull = payload.pull_request;
    const by = senderIdentity(payload) ?? 'github';
    const left = engine.previews.close(payload.repository.full_name, pull.number, by, {
      updatedAt: pull.updated_at ?? undefined,
      remember: false,
      now: pullNow(payload),
    });
    if (left.length === 0) return;
    outcomeOf(delivery).previews = left.map((ws) => ({
      workspace: ws.name,
      action: 'removing' as const,
    }));
  };

  /** The workspace of the repository whose deploys (or plans) report under check run `name`. */
  const runNamed = (repository: Repo, name: string | undefined) => {
    for (const workspace of workspacesOf(repository)) {
      for (const kind of ['deploy', 'plan'] as const) {
        if (checkNameOf(workspace.name, kind) === name) return { workspace, kind };
      }
    }
    return undefined;
  };

  /**
   * The workspaces' deploys and plans of `sha` that reported to GitHub, newest first, one per
   * workspace, kind and pull request: what a check suite on that commit holds.
   */
  const reportedOn = (repository: Repo, sha: string) => {
    const found = new Map<string, { workspace: Workspace; origin: GitHubOrigin; job: Job }>();
    for (const workspace of workspacesOf(repository)) {
      const recent = engine.jobs.list(
        { workspaceId: workspace.id, type: 'WORKSPACE_DEPLOY' },
        { offset: 0, limit: RECENT_JOBS },
      );
      for (const job of recent.items) {
        // On the commit it reports on: a late push's deploy of the branch head reports on its own.
        const origin = githubOriginOf(job);
        if (origin?.headSha !== sha) continue;
        const key = `${workspace.id}/${origin.kind}/${origin.pullRequest ?? ''}`;
        if (!found.has(key)) found.set(key, { workspace, origin, job });
      }
    }
    return [...found.values()];
  };

  return (app: Probot) => {
    app.on('push', (context) =>
      committed(context.id, () => {
        const { payload } = context;
        remember(payload);
        if (payload.deleted || /^0+$/.test(payload.after))
          return ignore(context.id, 'the branch was deleted');
        if (!payload.ref.startsWith('refs/heads/'))
          return ignore(context.id, `${payload.ref} is not a branch`);
        if (!payload.installation) return ignore(context.id, 'the event names no installation');
        queueBranch(
          context.id,
          payload.repository,
          payload.ref.slice('refs/heads/'.length),
          { installationId: payload.installation.id, headSha: payload.after, kind: 'deploy' },
          payload.sender?.login,
          { before: payload.before },
        );
      }),
    );

    app.on(
      [
        'pull_request.opened',
        'pull_request.synchronize',
        'pull_request.reopened',
        'pull_request.edited',
      ],
      async (context) => {
        // An edit of the title or text moves nothing; one of the base branch (a retarget, as
        // GitHub makes when the branch a stacked pull request was based on is deleted) does.
        const retargeted = context.payload.action === 'edited';
        if (retargeted && !(context.payload as { changes?: { base?: unknown } }).changes?.base) {
          return ignore(
            context.id,
            `pull request #${context.payload.pull_request.number} edited; Slipway acts on an edit only when it changes the base branch`,
          );
        }
        const grant = context.payload.installation
          ? await previewGrant(context.payload, context.octokit)
          : undefined;
        return committed(context.id, () => {
          const { payload } = context;
          remember(payload);
          if (!payload.installation) return ignore(context.id, 'the event names no installation');
          const pull = payload.pull_request;
          // Its previews of workspaces of the former base go; those of the new base come.
          if (retargeted) closeLeftBehind(context.id, payload);
          queueBranch(
            context.id,
            payload.repository,
            pull.base.ref,
            {
              installationId: payload.installation.id,
              headSha: pull.head.sha,
              kind: 'plan',
              pullRequest: pull.number,
            },
            payload.sender?.login,
          );
          // A closed pull request's edit makes no preview: only a reopen does.
          if (pull.state !== 'closed') {
            previewPull(context.id, payload, payload.installation.id, grant);
          }
          // A preview made or removed where no plan was: the delivery did something.
          const outcome = outcomeOf(context.id);
          if (outcome.jobs.length > 0 || outcome.previews) delete outcome.ignored;
        });
      },
    );

    // A label picks which pull requests get a preview of a workspace that names one
    // (`previewLabel`): added, it makes the preview (and deploys it); taken off, it removes it.
    app.on(['pull_request.labeled', 'pull_request.unlabeled'], async (context) => {
      const { payload } = context;
      const label = (payload as { label?: { name?: string } }).label?.name ?? '';
      const labeled = payload.action === 'labeled';
      const grant =
        labeled && payload.installation ? await previewGrant(payload, context.octokit) : undefined;
      return committed(context.id, () => {
        remember(payload);
        const pull = payload.pull_request;
        closeLeftBehind(context.id, payload);
        if (labeled && payload.installation && pull.state !== 'closed') {
          previewPull(context.id, payload, payload.installation.id, grant);
        }
        if (!outcomeOf(context.id).previews) {
          ignore(
            context.id,
            `pull request #${pull.number} ${payload.action}${label ? ` '${label}'` : ''}; no preview comes or goes with it`,
          );
        }
      });
    });

    // Merged or not, the pull request's previews go: what they deployed, then themselves.
    app.on('pull_request.closed', (context) =>
      committed(context.id, () => {
        const { payload } = context;
        remember(payload);
        const { number } = payload.pull_request;
        const by = senderIdentity(payload) ?? 'github';
        const closed = engine.previews.close(payload.repository.full_name, number, by, {
          updatedAt: payload.pull_request.updated_at ?? undefined,
          // Kept for a repository with previews: its events delivered late then make none.
          remember: workspacesOf(payload.repository).some((ws) => engine.previews.on(ws.id)),
        });
        if (closed.length === 0) {
          return ignore(context.id, `pull request #${number} closed; it had no preview`);
        }
        outcomeOf(context.id).previews = closed.map((ws) => ({
          workspace: ws.name,
          action: 'removing' as const,
        }));
      }),
    );

    app.on('check_run.rerequested', (context) =>
      committed(context.id, () => {
        const { payload } = context;
        remember(payload);
        const run = payload.check_run;
        if (!payload.installation) return ignore(context.id, 'the event names no installation');
        const installationId = payload.installation.id;
        const job = findJob(engine, run.external_id);
        const origin = job && githubOriginOf(job);
        const workspace = job?.workspaceId ? findWorkspace(engine, job.workspaceId) : undefined;
        if (origin && workspace) {
          queue(
            context.id,
            workspace,
            { ...origin, installationId, headSha: run.head_sha },
            payload.sender?.login,
            heldPushOf(job),
          );
          return;
        }
        // Its job was deleted: the run's name says which workspace it was, and deploy or plan.
        const named = runNamed(payload.repository, run.name);
        if (!named && job && !workspace) {
          return ignore(
            context.id,
            `check run ${run.id} ("${run.name ?? ''}") reported on a workspace since deleted (a pull request's preview goes when it closes); nothing to deploy`,
          );
        }
        if (!named) {
          return ignore(
            context.id,
            `check run ${run.id} ("${run.name ?? ''}") is not one of Slipway's: no workspace of ${payload.repository.full_name} reports under that name`,
          );
        }
        const pullRequest = named.kind === 'plan' ? run.pull_requests?.[0]?.number : undefined;
        queue(
          context.id,
          named.workspace,
          {
            installationId,
            repository: payload.repository.full_name,
            headSha: run.head_sha,
            kind: named.kind,
            ...(pullRequest !== undefined ? { pullRequest } : {}),
          },
          payload.sender?.login,
        );
      }),
    );

    app.on('check_suite.rerequested', (context) =>
      committed(context.id, () => {
        const { payload } = context;
        remember(payload);
        const suite = payload.check_suite;
        if (!payload.installation) return ignore(context.id, 'the event names no installation');
        const installationId = payload.installation.id;
        const sender = payload.sender?.login;
        // The suite holds the check runs Slipway made on its commit, deploys and pull requests'
        // plans alike: each runs again, as a re-run of that one check run would.
        const earlier = reportedOn(payload.repository, suite.head_sha);
        for (const { workspace, origin, job } of earlier) {
          queue(context.id, workspace, { ...origin, installationId }, sender, heldPushOf(job));
        }
        if (earlier.length > 0) return;
        // None is known any more: do what the commit's push and pull requests would have done.
        if (!suite.head_branch && suite.pull_requests.length === 0) {
          return ignore(context.id, 'the check suite names no branch or pull request');
        }
        if (suite.head_branch) {
          queueBranch(
            context.id,
            payload.repository,
            suite.head_branch,
            { installationId, headSha: suite.head_sha, kind: 'deploy' },
            sender,
          );
        }
        for (const pull of suite.pull_requests) {
          queueBranch(
            context.id,
            payload.repository,
            pull.base.ref,
            { installationId, headSha: suite.head_sha, kind: 'plan', pullRequest: pull.number },
            sender,
          );
        }
        // One queued what another ignored: the delivery did something.
        const outcome = outcomeOf(context.id);
        if (outcome.jobs.length > 0) delete outcome.ignored;
      }),
    );

    // A repository renamed or moved to another owner: the workspaces naming it follow it, as
    // its pushes now name it so (GitHub redirects the old name, Slipway's matching does not).
    app.on(['repository.renamed', 'repository.transferred'], (context) =>
      committed(context.id, () => {
        const { payload } = context;
        const now = payload.repository.full_name;
        const [owner = '', name = ''] = now.split('/');
        const { changes } = payload;
        // A transfer may rename too: its former name is then in `changes.repository` as well.
        const formerName =
          (changes as { repository?: { name?: { from?: string } } }).repository?.name?.from ?? name;
        const formerOwner =
          'owner' in changes
            ? (changes.owner.from.user?.login ?? changes.owner.from.organization?.login ?? owner)
            : owner;
        const former = `${formerOwner}/${formerName}`;
        installations.renamed(former, now, payload.repository.id);
        engine.previews.renamed(former, now);
        remember(payload);
        const followers = workspacesOf({ full_name: former, owner: null });
        for (const workspace of followers) {
          engine.workspaces.update(workspace.id, {
            repositoryUrl: renamedRepository(workspace.repositoryUrl, now),
          });
        }
        const names = followers.map((w) => `'${w.name}'`).join(', ');
        ignore(
          context.id,
          `repository ${former} is now ${now}: ${followers.length === 0 ? 'no workspace names it' : `workspace(s) ${names} now name it so`}`,
        );
      }),
    );

    app.on('installation', (context) =>
      committed(context.id, () => {
        const { payload } = context;
        const { id, account } = payload.installation;
        const login = account && 'login' in account ? account.login : String(id);
        const names = (payload.repositories ?? []).map((r) => r.full_name);
        if (payload.action === 'deleted') installations.remove(id);
        else if (payload.action === 'suspend') installations.setSuspended(id, true);
        else if (payload.action === 'unsuspend') installations.setSuspended(id, false);
        else installations.save(id, login, payload.repositories ? names : undefined);
        ignore(context.id, `installation ${id} ${payload.action}: recorded`);
      }),
    );

    app.on('installation_repositories', (context) =>
      committed(context.id, () => {
        const { payload } = context;
        const { id, account } = payload.installation;
        const login = account && 'login' in account ? account.login : String(id);
        installations.change(
          id,
          login,
          payload.repositories_added.map((r) => r.full_name),
          payload.repositories_removed.map((r) => r.full_name ?? ''),
        );
        ignore(context.id, `installation ${id} repositories ${payload.action}: recorded`);
      }),
    );
  };
}

/** Whether the pull request's head branch is in the repository itself, not in a fork. */
function sameRepository({ repository, pull_request }: PreviewEventPayload): boolean {
  return pull_request.head.repo?.full_name.toLowerCase() === repository.full_name.toLowerCase();
}

/** What a pull request event carries that previews read. */
interface PreviewEventPayload {
  action: string;
  repository: Repo;
  installation?: { id: number };
  sender?: { login: string } | null;
  pull_request: {
    number: number;
    state?: string;
    updated_at?: string | null;
    head: { sha: string; ref?: string; repo?: { full_name: string } | null };
    base: { ref: string };
    labels?: Array<{ name: string }> | null;
  };
}

/** Who sent an event, as a job's or a preview's identity (`github:<login>`); null if unsaid. */
function senderIdentity(payload: { sender?: { login: string } | null }): string | null {
  return payload.sender?.login ? `github:${payload.sender.login}` : null;
}

/** The branch a pull request merges into and its labels, as its event says. */
function pullNow(payload: PreviewEventPayload): PullRequestNow {
  const { base, labels } = payload.pull_request;
  return { base: base.ref, labels: (labels ?? []).map((label) => label.name) };
}

/**
 * A push a pause held is still a push: run again once the branch moved on, it deploys the head
 * rather than take the workspace back to its older commit. Anything else deploys what it names.
 */
function heldPushOf(job: Job): { before: string | undefined } | undefined {
  if (job.params.held !== true || job.params.push !== true) return undefined;
  return { before: typeof job.params.before === 'string' ? job.params.before : undefined };
}

function findJob(engine: Engine, id: string | null): Job | undefined {
  if (!id) return undefined;
  try {
    return engine.jobs.get(id);
  } catch (error) {
    if (isSlipwayError(error) && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

function findWorkspace(engine: Engine, id: string): Workspace | undefined {
  try {
    return engine.workspaces.get(id);
  } catch (error) {
    if (isSlipwayError(error) && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}
