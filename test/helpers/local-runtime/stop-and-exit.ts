// Run as a child process through tsx: starts a local runtime with one workload of every kind,
// lets them run, calls stop() and prints `stopped`. Node must then exit by itself: nothing the
// runtime started (timers, cron, health checks, processes) may keep it alive.
//   node --import tsx stop-and-exit.ts <stateDir>
import { createLocalRuntime } from '../../../core/runtime/local/index.js';
import { nodeWorkload, serverScript } from './workloads.js';

const [stateDir = ''] = process.argv.slice(2);
const runtime = createLocalRuntime({
  stateDir,
  baseEnv: { PATH: process.env.PATH ?? '' },
  healthIntervalMs: 100,
  stableAfterMs: 100,
  restartBackoff: { initialMs: 100, maxMs: 1000 },
});
await runtime.start();
await runtime.apply([
  nodeWorkload('service', 'web', serverScript('web')),
  nodeWorkload('deployment', 'crasher', 'process.exit(1)'),
  nodeWorkload('deployment', 'steady', 'setInterval(() => {}, 1000)'),
  nodeWorkload('job', 'long', 'setInterval(() => {}, 1000)'),
  nodeWorkload('cronjob', 'tick', 'console.log("tick")', { schedule: '* * * * * *' }),
]);
await new Promise((resolve) => setTimeout(resolve, 1500));
const pods = await runtime.pods();
await runtime.stop();
console.log(`stopped ${pods.filter((p) => p.phase === 'Running').length}`);
