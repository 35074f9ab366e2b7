// The "Slipway that dies" of the restore test, run as a child process through tsx:
//   node --import tsx hold-runtime.ts <stateDir> <port> <workdir>
// It starts a local runtime with a service, a finished job, a job still running and a cron job,
// prints one JSON line with the pids of what runs, and waits to be killed.
import { createLocalRuntime } from '../../../core/runtime/local/index.js';
import { restoreWorkloads } from './restore-workloads.js';

const [stateDir = '', port = '0', dir = ''] = process.argv.slice(2);
const runtime = createLocalRuntime({
  stateDir,
  baseEnv: { PATH: process.env.PATH ?? '' },
  healthIntervalMs: 100,
  stableAfterMs: 200,
});
await runtime.start();
await runtime.ensureNamespace('test');
const { service, finished, unfinished, cron } = restoreWorkloads(Number(port), dir);
await runtime.apply([service, finished, unfinished, cron]);

async function printed(ref: typeof service): Promise<number> {
  for (;;) {
    for await (const line of runtime.logs(ref)) {
      if (line.line.startsWith('pid ')) return Number(line.line.slice(4));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
for (;;) {
  const healthy = [await runtime.status(service), await runtime.status(finished)].every(
    (s) => s.health === 'healthy',
  );
  if (healthy) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(
  JSON.stringify({ service: await printed(service), unfinished: await printed(unfinished) }),
);
setInterval(() => {}, 1000);
