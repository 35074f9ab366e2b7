import { redact } from '../../../core/source/index.js';
import type { Job, Workspace } from '../../../core/types.js';
import type {
  DriftCheck,
  WorkspacePause,
  WorkspacePreview,
} from '../../../core/workspaces/index.js';
import { compactTime, duration, jobSubject, shortCommit, shownStatus } from './format.js';
import { Badge, Time } from './layout.js';
import type { ScopeView } from './scope-views.js';
import { ScopesSection } from './scopes-section.js';

export interface OverviewData {
  workspaces: Workspace[];
  /** The newest deploy of a workspace when it is not its last success (see `pendingDeploys`). */
  pendingDeploys: ReadonlyMap<string, Job>;
  jobs: Job[];
  /** Which page of jobs (0: the newest, kept live), and whether older ones follow. */
  jobsPage: number;
  olderJobs: boolean;
  workspaceNames: ReadonlyMap<string, string>;
  scopes: ScopeView[];
  /** What the last drift check found of each workspace that drifted (SLIPWAY_DRIFT_SECONDS). */
  drifted: ReadonlyMap<string, DriftCheck>;
  /** The pause of each workspace whose deploys are paused. */
  paused: ReadonlyMap<string, WorkspacePause>;
  /** The pull request each preview workspace deploys. */
  previews: ReadonlyMap<string, WorkspacePreview>;
}

function WorkspacesSection({
  workspaces,
  pending,
  drifted,
  paused,
  previews,
}: {
  workspaces: Workspace[];
  pending: ReadonlyMap<string, Job>;
  drifted: ReadonlyMap<string, DriftCheck>;
  paused: ReadonlyMap<string, WorkspacePause>;
  previews: ReadonlyMap<string, WorkspacePreview>;
}) {
  const names = new Map(workspaces.map((ws) => [ws.id, ws.name]));
  return (
    <section aria-labelledby="workspaces-title">
      <h2 id="workspaces-title">Workspaces</h2>
      {workspaces.length === 0 ? (
        <p class="empty">No workspaces yet: create one with POST /api/workspaces.</p>
      ) : (
        <table id="workspaces">
          <thead>
            <tr>
              <th>Name</th>
              <th>Repository</th>
              <th>Branch</th>
              <th>Status</th>
              <th>Last deploy</th>
            </tr>
          </thead>
          <tbody>
            {workspaces.map((ws) => (
              <tr data-workspace-id={ws.id}>
                <td>{ws.name}</td>
                <td class="mono">
                  <Repository url={ws.repositoryUrl} />
                </td>
                <td>
                  <span class="mono">{ws.branch}</span>
                  <PreviewOf preview={previews.get(ws.id)} names={names} />
                </td>
                <td>
                  <Badge status={ws.status} />
                  <Paused pause={paused.get(ws.id)} />
                  <Drift check={drifted.get(ws.id)} />
                </td>
                <td>
                  {ws.lastJobId ? (
                    <a href={`jobs/${ws.lastJobId}`}>
                      <span class="mono">{shortCommit(ws.lastCommitId) || 'deploy'}</span>{' '}
                      <Time iso={ws.lastDeployed} text={compactTime(ws.lastDeployed)} />
                    </a>
                  ) : pending.has(ws.id) ? null : (
                    <span class="muted">never deployed</span>
                  )}
                  <PendingDeploy job={pending.get(ws.id)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * A workspace's repository, its credentials masked (the dashboard is for every signed-in
 * identity, not only the owner); an http(s) URL links to the repository without them.
 */
function Repository({ url }: { url: string }) {
  const shown = redact(url);
  if (!/^https?:\/\//i.test(url)) return <>{shown}</>;
  let href: string;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    href = parsed.href;
  } catch {
    return <>{shown}</>;
  }
  return <a href={href}>{shown}</a>;
}

/** The pull request a preview workspace deploys, and the workspace it previews. */
function PreviewOf({
  preview,
  names,
}: {
  preview: WorkspacePreview | undefined;
  names: ReadonlyMap<string, string>;
}) {
  if (!preview) return null;
  return (
    <div class="muted preview-of">
      preview of pull request #{preview.pullRequest}
      {names.has(preview.of) ? ` of ${names.get(preview.of)}` : ''}
      {preview.closed ? ' (closed: being removed)' : ''}
    </div>
  );
}

/** Who paused a workspace's deploys, since when, why, and how many it held. */
function Paused({ pause }: { pause: WorkspacePause | undefined }) {
  if (!pause) return null;
  return (
    <details class="paused">
      <summary>
        <Badge status="PAUSED" /> since <Time iso={pause.since} text={compactTime(pause.since)} />
      </summary>
      <p>
        Deploys paused{pause.by ? ` by ${pause.by}` : ''}
        {pause.reason ? `: ${pause.reason}` : ''}.{' '}
        {pause.until ? `Ends by itself at ${pause.until}. ` : ''}
        {pause.held === 0
          ? 'Nothing held yet.'
          : `${pause.held} deploy(s) held; resuming deploys the branch head.`}
      </p>
    </details>
  );
}

/** What drifted from git in a workspace, by its last drift check: each workload's sentence. */
function Drift({ check }: { check: DriftCheck | undefined }) {
  if (!check) return null;
  return (
    <details class="drift">
      <summary>
        <Badge status="DRIFTED" /> since <Time iso={check.since} text={compactTime(check.since)} />
      </summary>
      <ul>
        {check.drifted.map((sentence) => (
          <li>{sentence}</li>
        ))}
      </ul>
    </details>
  );
}

/** A workspace's newest deploy beside its last success: a link to what failed, or runs. */
function PendingDeploy({ job }: { job: Job | undefined }) {
  if (!job) return null;
  return (
    <div class="pending-deploy">
      <a href={`jobs/${job.id}`}>
        <Badge status={job.status} />{' '}
        <span class="mono">{shortCommit(job.commitId) || job.id.slice(0, 8)}</span>{' '}
        <Time iso={job.created} text={compactTime(job.created)} />
      </a>
    </div>
  );
}

/** One row of the jobs table; the live script keeps `data-status`, the badge and duration. */
function JobRow({ job, subject }: { job: Job; subject: string }) {
  return (
    <tr data-job-id={job.id} data-status={shownStatus(job)}>
      <td class="mono">
        <a href={`jobs/${job.id}`}>{job.id.slice(0, 8)}</a>
      </td>
      <td>{job.type}</td>
      <td>
        <Badge status={shownStatus(job)} />
      </td>
      <td>{subject}</td>
      <td>
        <Time iso={job.created} text={compactTime(job.created)} />
      </td>
      <td class="num" data-duration="">
        {duration(job.startTime, job.endTime)}
      </td>
    </tr>
  );
}

function JobsSection({
  jobs,
  names,
  page,
  older,
}: {
  jobs: Job[];
  names: ReadonlyMap<string, string>;
  page: number;
  older: boolean;
}) {
  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">{page === 0 ? 'Recent jobs' : `Jobs, page ${page + 1}`}</h2>
      <table id="jobs">
        <thead>
          <tr>
            <th>Id</th>
            <th>Type</th>
            <th>Status</th>
            <th>Workspace / target</th>
            <th>Created (UTC)</th>
            <th class="num">Duration</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <JobRow job={job} subject={jobSubject(job, names)} />
          ))}
        </tbody>
      </table>
      {jobs.length === 0 ? (
        <p class="empty">{page === 0 ? 'No jobs yet.' : 'No jobs here.'}</p>
      ) : null}
      <nav class="pager" aria-label="Jobs pages">
        {page > 0 ? (
          <a href={page === 1 ? './' : `./?page=${page - 1}`} rel="prev">
            Newer jobs
          </a>
        ) : null}
        {older ? (
          <a href={`./?page=${page + 1}`} rel="next">
            Older jobs
          </a>
        ) : null}
      </nav>
    </section>
  );
}

/** The overview: workspaces, recent jobs (kept live by a script) and nullplatform scopes. */
export function OverviewPage({ data }: { data: OverviewData }) {
  return (
    <>
      <h1>Overview</h1>
      <WorkspacesSection
        workspaces={data.workspaces}
        pending={data.pendingDeploys}
        drifted={data.drifted}
        paused={data.paused}
        previews={data.previews}
      />
      <JobsSection
        jobs={data.jobs}
        names={data.workspaceNames}
        page={data.jobsPage}
        older={data.olderJobs}
      />
      <ScopesSection scopes={data.scopes} />
    </>
  );
}
