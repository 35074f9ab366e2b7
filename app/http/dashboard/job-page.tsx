import type { Job, JobLogLine } from '../../../core/types.js';
import { compactTime, duration, shortCommit, shownStatus } from './format.js';
import { Badge, Time } from './layout.js';

interface JobPageProps {
  job: Job;
  /** Its workspace's name, or its target when it has none. */
  subject: string;
  log: JobLogLine[];
}

/** One job: what it is, how it went, and its log (kept growing by a script while it runs). */
export function JobPage({ job, subject, log }: JobPageProps) {
  const next = (log.at(-1)?.sequence ?? -1) + 1;
  const text = log.length > 0 ? `${log.map((l) => l.line).join('\n')}\n` : '';
  return (
    <>
      <p>
        <a href="./">← Overview</a>
      </p>
      <h1>
        {job.type} <Badge status={shownStatus(job)} id="status" />
      </h1>
      <dl>
        <dt>Id</dt>
        <dd class="mono">{job.id}</dd>
        <dt>Workspace / target</dt>
        <dd>{subject}</dd>
        <dt>Commit</dt>
        <dd class="mono" title={job.commitId ?? ''}>
          {shortCommit(job.commitId) || '—'}
        </dd>
        <dt>Attempt</dt>
        <dd>{`${job.attempt + 1} of ${job.maxAttempts}`}</dd>
        <dt>Created (UTC)</dt>
        <dd>
          <Time iso={job.created} text={compactTime(job.created)} />
        </dd>
        <dt>Started</dt>
        <dd>
          {job.startTime ? <Time iso={job.startTime} text={compactTime(job.startTime)} /> : '—'}
        </dd>
        <dt>Duration</dt>
        <dd id="duration">{duration(job.startTime, job.endTime)}</dd>
        <dt>Asked by</dt>
        <dd>{job.identity ?? '—'}</dd>
        <dt>Message</dt>
        <dd id="message">{job.message ?? ''}</dd>
      </dl>
      <h2 id="log-title">Log</h2>
      <pre id="log" data-job-id={job.id} data-next-sequence={String(next)}>
        {text}
      </pre>
    </>
  );
}
