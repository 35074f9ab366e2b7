import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoIn } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import {
  crashAndRestart,
  jobLog,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * A pipeline run whose server is killed mid-run is taken up again at the next start, and starts
 * its tasks over: a step that had finished runs again, rather than being taken for done because
 * its finished workload is still there.
 */
const ME = { identity: 'dev@example.com' };
let server: ServerProcess;
let runs: string;
let secondPid: string;

beforeAll(async () => {
  const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-crash-'));
  runs = path.join(reposDir, 'first-runs.txt');
  secondPid = path.join(reposDir, 'second.pid');
  repoIn(reposDir, 'flows', {
    // Each run of the first task leaves a line in a file: the log of a crashed attempt may have
    // lost its last lines with the process.
    // ...and says whether the second task (which depends on it) was running meanwhile (a
    // killed process not yet reaped is no longer running).
    'tasks/first/manifest.json': manifest({
      name: 'first',
      type: 'job',
      cmd: [
        'node',
        '-e',
        `const fs = require('node:fs'); let beside = false; try { const stat = fs.readFileSync('/proc/' + fs.readFileSync(${JSON.stringify(secondPid)}, 'utf8') + '/stat', 'utf8'); beside = stat[stat.lastIndexOf(')') + 2] !== 'Z' } catch {} fs.appendFileSync(${JSON.stringify(runs)}, beside ? 'ran beside second\\n' : 'ran\\n')`,
      ],
    }),
    'tasks/second/manifest.json': manifest({
      name: 'second',
      type: 'job',
      cmd: [
        'node',
        '-e',
        `require('node:fs').writeFileSync(${JSON.stringify(secondPid)}, String(process.pid)); setTimeout(() => console.log('second ran'), 2000)`,
      ],
    }),
    'pipelines/two/pipeline.json': JSON.stringify({
      name: 'two',
      tasks: [
        { name: 'first', namespacetask: 'flows/tasks/first' },
        { name: 'second', namespacetask: 'flows/tasks/second', dependance: ['first'] },
      ],
    }),
  });
  server = await startServer({ reposDir });
});
afterAll(async () => {
  await server?.stop();
});

it('runs every task again when its job is taken up after a crash', async () => {
  const started = await request(
    `${server.url}/v1/pipeline/runas/flows/pipelines%2Ftwo/twice`,
    'GET',
    undefined,
    ME,
  );
  expect(started.status).toBe(202);
  const id = started.json.id;
  await eventually(
    async () => {
      const state = await request(`${server.url}/v1/pipeline/state/flows/${id}`, 'GET');
      return state.json.tasks[1].status === 'running' ? true : undefined;
    },
    'the second task to run',
    30_000,
  );
  // Its process is up (it wrote its pid), and the runtime has had time to record it: the next
  // start finds it running.
  await eventually(async () => (existsSync(secondPid) ? true : undefined), 'its process');
  await new Promise((resolve) => setTimeout(resolve, 500));
  server = await crashAndRestart(server);

  const ended = await waitForJob(server, id, undefined, 60_000);
  expect(ended.status, `${ended.message}\n${await jobLog(server, id)}`).toBe('COMPLETE');
  // The second task, running at the crash, did not run on beside the first one's new run.
  expect(readFileSync(runs, 'utf8')).toBe('ran\nran\n');
  expect(await jobLog(server, id)).toContain(
    "job 'twice-second' of an interrupted attempt stopped: the run starts its tasks over",
  );
  expect(await jobLog(server, id)).toContain('[twice-second] second ran');
  const state = await request(`${server.url}/v1/pipeline/state/flows/${id}`, 'GET');
  expect(state.json.status).toBe('succeeded');
  // The first task's times are those of its second run, which began after the restart.
  expect(Date.parse(state.json.tasks[0].endTime)).toBeGreaterThanOrEqual(
    Date.parse(state.json.tasks[0].startTime),
  );
});
