import { isSlipwayError, SlipwayError } from '../errors.js';
import { type Periodic, runPeriodically } from '../periodic.js';
import { LABELS, MANAGED_BY_VALUE, type Runtime, type WorkloadRef } from '../runtime/types.js';
import { redact } from '../source/index.js';
import type { SourceFetcher } from '../source/types.js';
import type { Store } from '../store/types.js';
import { describeRef } from '../tasks/index.js';
import { type Clock, isoTime, type Logger, type Workspace } from '../types.js';
import { desiredWorkloads } from './deploy-workspace.js';
import { pausedSentence } from './pause.js';
import { type WorkspaceService, workspaceTarget } from './workspace-service.js';

/** What the last drift check of a workspace found (record collection `workspace-drift`). */
export interface DriftCheck {
  workspaceId: string;
  /** The commit the workspace had deployed, which the runtime was compared with. */
  commit: string;
  /** When it began (ISO-8601 UTC). */
  checked: string;
  /** The interval checks ran at then (SLIPWAY_DRIFT_SECONDS): how soon this one goes stale. */
  everyMs: number;
  /** A sentence for each workload that is not as git has it; empty when none is. */
  drifted: string[];
  /** Since when the workspace has been drifted without a break; null when it is not. */
  since: string | null;
  /** Deploys queued to put drift back (SLIPWAY_SELF_HEAL), ever. */
  heals: number;
  /** The last of them; null before the first. */
  healJobId: string | null;
  /** When it was queued (ISO-8601 UTC); null before the first. */
  healed: string | null;
  /** Heals queued since a check last found nothing drifted: drift that keeps coming back. */
  healStreak: number;
}

/** A check older than this many of its intervals (plus the slack) no longer tells. */
const STALE_AFTER_INTERVALS = 3;
const STALE_SLACK_MS = 60_000;

/** The longest wait between heals of drift that keeps coming back. */
const MAX_HEAL_WAIT_MS = 60 * 60 * 1000;

/** A workspace's drift as the surfaces show it: the last check, if it still says how things are. */
export interface DriftState {
  /**
   * `UNKNOWN`: never checked; or a deploy began since the last check (it may have changed what
   * runs, even if it failed or was withdrawn), the workspace is not READY, its namespace or
   * repository changed since its last deploy (the next deploy uses them), or the last check is
   * older than three intervals (checks fail, or are off now).
   */
  status: 'IN_SYNC' | 'DRIFTED' | 'UNKNOWN';
  check: DriftCheck | null;
}

/**
 * The workspace's drift as its last check found it, if that still says how things are at `now`;
 * `check` when the caller has read the workspace's record already.
 */
export function driftState(
  store: Store,
  workspace: Workspace,
  now: number,
  check: DriftCheck | null = store.getRecord<DriftCheck>('workspace-drift', workspace.id) ?? null,
): DriftState {
  const current =
    check !== null &&
    now - Date.parse(check.checked) <= STALE_AFTER_INTERVALS * check.everyMs + STALE_SLACK_MS &&
    check.commit === workspace.lastCommitId &&
    workspace.status === 'READY' &&
    !deploySince(store, workspace, check.checked) &&
    deployedAsConfigured(store, workspace);
  if (!current) return { status: 'UNKNOWN', check };
  return { status: check.drifted.length > 0 ? 'DRIFTED' : 'IN_SYNC', check };
}

/** Whether a deploy of the workspace (not a plan) was queued after `time`, whatever came of it. */
function deploySince(store: Store, workspace: Workspace, time: string): boolean {
  if (workspace.lastDeployed !== null && workspace.lastDeployed > time) return true;
  const [newest] = store.listJobs(
    { target: workspaceTarget(workspace.id) },
    { offset: 0, limit: 1 },
  ).items;
  return newest !== undefined && newest.created > time;
}

/**
 * Whether the workspace's namespace and repository are still those its last deploy used. When
 * they changed, what runs is as the next deploy will make it, not as the workspace says now:
 * comparing would call every workload drifted.
 */
function deployedAsConfigured(store: Store, workspace: Workspace): boolean {
  const result = workspace.lastJobId ? store.getJob(workspace.lastJobId)?.result : undefined;
  // Its job deleted, or from before results named them: only a workspace changed in no way
  // since its last deploy is known to be as deployed.
  if (!result || typeof result.namespace !== 'string') {
    return workspace.lastDeployed !== null && workspace.lastModified <= workspace.lastDeployed;
  }
  return (
    result.namespace === workspace.namespace &&
    result.repository === redact(workspace.repositoryUrl)
  );
}

export interface DriftWatcherOptions {
  store: Store;
  source: SourceFetcher;
  runtime: Runtime;
  workspaces: WorkspaceService;
  clock: Clock;
  logger: Logger;
  /** Between checks (SLIPWAY_DRIFT_SECONDS). */
  intervalMs: number;
  /** Queue a deploy of the deployed commit when drift is found (SLIPWAY_SELF_HEAL). */
  selfHeal: boolean;
  /**
   * Told once when a workspace's drift appears or changes (`drifted`), and once when it is gone
   * (`in-sync`): the moments the log says so.
   */
  driftChanged?: (workspace: Workspace, check: DriftCheck, now: 'drifted' | 'in-sync') => void;
}

/**
 * Finds what someone changed on the runtime behind git's back (`kubectl scale`, `kubectl edit`,
 * a deleted Deployment, an object left with the workspace's labels), where a deploy only puts it
 * back when the branch moves: at start and every `intervalMs` it compares each deployed
 * workspace's workloads with its deployed commit, as a plan does (the commit's checkout from the
 * cache, a server-side dry run of only what differs), and records what drifted. Drift that
 * appears or changes is a warning; with `selfHeal` it queues a deploy of the deployed commit,
 * which applies it back and says in its log what had drifted. A workspace that is not READY, or
 * has a deploy queued or running, is looked at next time.
 */
export class DriftWatcher {
  private periodic: Periodic | undefined;
  /** The last failure said per workspace, so a check that keeps failing is said once. */
  private readonly failing = new Map<string, string>();
  private stopped = false;

  constructor(private readonly options: DriftWatcherOptions) {}

  start(): void {
    const { intervalMs, selfHeal, logger } = this.options;
    this.stopped = false;
    logger.info(
      { intervalSeconds: intervalMs / 1000, selfHeal },
      `checking every deployed workspace for drift from git every ${intervalMs / 1000} s; drift is ${selfHeal ? 'deployed back' : 'reported, not changed back (SLIPWAY_SELF_HEAL=true deploys it back)'}`,
    );
    this.periodic = runPeriodically(
      intervalMs,
      () => this.checkAll(),
      (error) => logger.warn({ err: error }, 'could not check the workspaces for drift'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.periodic?.stop();
  }

  /** One pass over every workspace; resolves with how many of them drifted. */
  checkAll(): Promise<number> {
    return this.options.workspaces.visitAll(
      async (workspace) => ((await this.checkOne(workspace))?.drifted.length ?? 0) > 0,
      () => this.stopped,
    );
  }

  /** Checks one workspace; what goes wrong with it is said and leaves the others be. */
  private async checkOne(listed: Workspace): Promise<DriftCheck | undefined> {
    try {
      const check = await this.check(listed);
      this.failing.delete(listed.id);
      return check;
    } catch (error) {
      // Deleted while the pass went on: nothing left to check. (A repository or commit that is
      // gone is NOT_FOUND too, and is said.)
      if (isSlipwayError(error, 'NOT_FOUND') && !this.options.store.getWorkspace(listed.id)) {
        return undefined;
      }
      const reason = (error as Error)?.message ?? String(error);
      if (this.failing.get(listed.id) !== reason) {
        this.options.logger.warn(
          { err: error, workspaceId: listed.id },
          `could not check workspace '${listed.name}' for drift; checking it goes on`,
        );
      }
      this.failing.set(listed.id, reason);
      return undefined;
    }
  }

  /**
   * Checks the workspace now, between the passes (`POST /api/workspaces/{id}/drift`), and heals
   * as a pass would; CONFLICT saying why when it cannot be compared now.
   */
  async checkNow(id: string): Promise<DriftCheck> {
    const workspace = this.options.workspaces.get(id);
    const refuse = (why: string) =>
      new SlipwayError(
        'CONFLICT',
        `workspace '${workspace.name}' cannot be compared with git now: ${why}`,
      );
    const why = this.unsettled(workspace);
    if (why) throw refuse(why);
    const check = await this.check(workspace);
    if (!check) {
      throw refuse(
        this.unsettled(this.options.workspaces.get(id)) ??
          'a deploy ran while it was compared; check again',
      );
    }
    return check;
  }

  /**
   * Compares the workspace with its deployed commit and records what drifted; undefined when
   * it cannot be compared now (never deployed, not READY, a deploy queued or running, or a
   * deploy that ran during the comparison).
   */
  private async check(listed: Workspace): Promise<DriftCheck | undefined> {
    const { source, runtime, workspaces, clock } = this.options;
    // As it is now: the page was listed before the workspaces ahead of it were checked.
    const before = workspaces.get(listed.id);
    const commit = before.lastCommitId;
    if (!commit || this.unsettled(before)) return undefined;
    const started = isoTime(clock.now());
    const checkout = await source.fetch(before.repositoryUrl, before.branch, { commit });
    const { problems, workloads } = await desiredWorkloads(
      runtime,
      this.options.store,
      before,
      checkout,
    );
    // The deployed commit deployed, so its units were valid: only a Slipway that reads them
    // otherwise now finds problems, and then a deploy would say so.
    if (problems.length > 0) return undefined;
    const owned = await runtime.list({
      labels: { [LABELS.managedBy]: MANAGED_BY_VALUE, [LABELS.workspace]: before.id },
    });
    const outcomes = await runtime.apply(workloads, { dryRun: true });
    const drifted: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.action === 'created') {
        // A Job that ran to its end and is gone (a TTL, a clean-up) is history: made anew, as
        // a heal would, it would run again.
        if (outcome.kind !== 'job') drifted.push(`${describeRef(outcome)} is missing`);
      } else if (outcome.drift) drifted.push(`${describeRef(outcome)}: ${outcome.drift}`);
      // A failed Job would run again (`reason`): that is how it ended, not drift.
      else if (outcome.action === 'changed' && !outcome.reason) {
        drifted.push(`${describeRef(outcome)} is not as git has it`);
      }
    }
    const wanted = new Set(workloads.map(refKey));
    for (const info of owned) {
      if (!wanted.has(refKey(info))) drifted.push(`${describeRef(info)} is not in git`);
    }
    // A deploy that ran meanwhile, or is running, may have been half way: what was compared
    // says nothing.
    const after = workspaces.get(before.id);
    if (after.lastJobId !== before.lastJobId || after.lastCommitId !== commit) return undefined;
    if (this.unsettled(after)) return undefined;
    return this.record(after, commit, started, drifted);
  }

  /** Tells the host of a change in drift; a host that fails to hear it stops no check. */
  private told(workspace: Workspace, check: DriftCheck, now: 'drifted' | 'in-sync'): void {
    try {
      this.options.driftChanged?.(workspace, check, now);
    } catch (error) {
      this.options.logger.warn(
        { err: error, workspaceId: workspace.id },
        'could not pass on a change in drift',
      );
    }
  }

  /**
   * Why the workspace does not run its last deploy's commit as that deploy left it, with no
   * deploy or delete to come and none under way; undefined when it does.
   */
  private unsettled(workspace: Workspace): string | undefined {
    if (!workspace.lastCommitId) return 'it was never deployed';
    if (workspace.status !== 'READY') return `it is ${workspace.status}, not READY`;
    if (!deployedAsConfigured(this.options.store, workspace)) {
      return 'its namespace or repository changed since its last deploy, which the next deploy uses';
    }
    // Its workloads are going one by one: each would look missing, and a heal would bring it back.
    if (this.options.workspaces.isBeingDeleted(workspace.id)) return 'it is being deleted';
    if (this.options.workspaces.deployUnderWay(workspace.id)) {
      return 'a deploy of it is queued or running';
    }
    return undefined;
  }

  /** Records what the check begun at `checked` found, says what changed, and heals. */
  private record(
    workspace: Workspace,
    commit: string,
    checked: string,
    drifted: string[],
  ): DriftCheck {
    const { store, logger, selfHeal, workspaces } = this.options;
    const before = driftState(store, workspace, Date.parse(checked));
    const previous = before.check;
    // Drifted without a break: as the last check said, or only healed since, in vain.
    const wasDrifted =
      before.status === 'DRIFTED' ||
      (previous !== null &&
        previous.drifted.length > 0 &&
        previous.commit === commit &&
        previous.healJobId !== null &&
        previous.healJobId === workspace.lastJobId);
    const check: DriftCheck = {
      workspaceId: workspace.id,
      commit,
      checked,
      everyMs: this.options.intervalMs,
      drifted,
      since: drifted.length === 0 ? null : wasDrifted ? (previous?.since ?? checked) : checked,
      heals: previous?.heals ?? 0,
      healJobId: previous?.healJobId ?? null,
      healed: previous?.healed ?? null,
      healStreak: drifted.length === 0 ? 0 : (previous?.healStreak ?? 0),
    };
    const context = { workspaceId: workspace.id, commit };
    // A pause holds heals as it holds pushes: drift is still found and told.
    const pause = selfHeal ? workspaces.pauseOf(workspace.id) : undefined;
    let change: 'drifted' | 'in-sync' | undefined;
    if (drifted.length > 0) {
      const same = wasDrifted && previous?.drifted.join('\n') === drifted.join('\n');
      if (!same) {
        const held = pause ? `; not deployed back: ${pausedSentence(workspace, pause)}` : '';
        logger.warn(
          { ...context, drifted },
          `workspace '${workspace.name}' drifted from git (commit ${commit.slice(0, 12)}): ${drifted.join('; ')}${held}`,
        );
        change = 'drifted';
      }
      if (selfHeal && !pause && healIsDue(check, checked, this.options.intervalMs)) {
        const { job, created } = workspaces.deploy(workspace.id, {
          commitId: commit,
          // Each heal is queued once, however the pass ends (a crash before the record too).
          deliveryId: `drift:${workspace.id}:${check.heals + 1}`,
          identity: 'drift-check',
        });
        check.heals += 1;
        check.healJobId = job.id;
        check.healed = checked;
        check.healStreak += 1;
        if (check.healStreak === 2) {
          logger.warn(
            context,
            `drift of workspace '${workspace.name}' came back after it was deployed back: something may keep changing what git sets; it is deployed back ever less often (up to once an hour) while it keeps coming back`,
          );
        }
        if (created) {
          logger.info(
            { ...context, jobId: job.id },
            `deploy of commit ${commit.slice(0, 12)} queued to put workspace '${workspace.name}' back as git has it`,
          );
        }
      }
    } else if (previous && previous.drifted.length > 0) {
      // Put back by a deploy, or by hand.
      logger.info(context, `workspace '${workspace.name}' is as git has it again`);
      change = 'in-sync';
    }
    // The record and what the host writes of the change (a notification) commit together.
    store.transaction(() => {
      store.putRecord('workspace-drift', workspace.id, '', check);
      if (change) this.told(workspace, check, change);
    });
    return check;
  }
}

function refKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * Whether drift found at `now` is healed now. Drift that comes back after its heal (something
 * on the cluster keeps changing what git sets, or a deploy cannot put it back) is healed ever
 * less often: after the interval, then twice it, four times it, up to an hour, so Slipway and
 * the other party do not take turns for ever. A check that finds nothing starts afresh.
 */
function healIsDue(check: DriftCheck, now: string, intervalMs: number): boolean {
  if (check.healStreak === 0 || check.healed === null) return true;
  const wait = Math.min(intervalMs * 2 ** (check.healStreak - 1), MAX_HEAL_WAIT_MS);
  return Date.parse(now) - Date.parse(check.healed) >= wait;
}
