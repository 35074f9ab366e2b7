/**
 * The dashboard's inline scripts. They are static text (no request data is ever interpolated):
 * what they show arrives as JSON and enters the page only through `textContent` and text nodes,
 * so a log line like `<script>` stays text.
 */

/**
 * Asks `/dashboard/jobs/:id/state` while the job may change, each request held by the server
 * until the next log line or the job's end; appends the lines.
 */
export const JOB_PAGE_SCRIPT = `(() => {
  const log = document.getElementById('log');
  const badge = document.getElementById('status');
  const took = document.getElementById('duration');
  const message = document.getElementById('message');
  let next = Number(log.dataset.nextSequence);
  const url = () => 'dashboard/jobs/' + encodeURIComponent(log.dataset.jobId) + '/state?wait=20&sequence=' + next;
  const tick = async () => {
    let state;
    try {
      const response = await fetch(url(), { cache: 'no-store', headers: { accept: 'application/json' } });
      if (response.status === 401) return location.assign('login');
      if (!response.ok) return setTimeout(tick, 2000);
      state = await response.json();
    } catch {
      return setTimeout(tick, 2000);
    }
    if (state.lines.length > 0) {
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.append(document.createTextNode(state.lines.join('\\n') + '\\n'));
      if (atEnd) log.scrollTop = log.scrollHeight;
    }
    next = state.nextSequence;
    badge.textContent = state.status;
    badge.className = state.badge;
    took.textContent = state.duration;
    if (state.message) message.textContent = state.message;
    if (state.more) return tick();
    if (state.active) setTimeout(tick, 100);
  };
  setTimeout(tick, 100);
})();`;

/** Polls `/dashboard/jobs.json` every second and brings the jobs table's rows up to date. */
export const JOBS_TABLE_SCRIPT = `(() => {
  const table = document.getElementById('jobs');
  const body = table.tBodies[0];
  const cell = (row, text) => {
    const td = row.insertCell();
    td.textContent = text;
    return td;
  };
  const newRow = (job) => {
    const row = document.createElement('tr');
    row.dataset.jobId = job.id;
    const link = document.createElement('a');
    link.href = 'jobs/' + encodeURIComponent(job.id);
    link.textContent = job.id.slice(0, 8);
    cell(row, '').append(link);
    row.cells[0].className = 'mono';
    cell(row, job.type);
    const badge = document.createElement('span');
    badge.dataset.badge = '';
    cell(row, '').append(badge);
    cell(row, job.subject);
    const time = document.createElement('time');
    time.dateTime = job.createdIso;
    time.textContent = job.created;
    cell(row, '').append(time);
    const took = cell(row, '');
    took.className = 'num';
    took.dataset.duration = '';
    return row;
  };
  const tick = async () => {
    try {
      if (!document.hidden) {
        const response = await fetch('dashboard/jobs.json', { cache: 'no-store' });
        if (response.status === 401) return location.assign('login');
        if (response.ok) {
          const { jobs } = await response.json();
          const rows = new Map([...body.rows].map((row) => [row.dataset.jobId, row]));
          for (const job of jobs) {
            const row = rows.get(job.id) ?? newRow(job);
            rows.delete(job.id);
            row.dataset.status = job.status;
            const badge = row.querySelector('[data-badge]');
            badge.textContent = job.status;
            badge.className = job.badge;
            row.querySelector('[data-duration]').textContent = job.duration;
            body.append(row);
          }
          for (const stale of rows.values()) stale.remove();
          const empty = table.nextElementSibling;
          if (jobs.length > 0 && empty?.classList.contains('empty')) empty.remove();
        }
      }
    } catch {
      // The server restarts or the network drops: try again on the next tick.
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
})();`;
