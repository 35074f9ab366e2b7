import { nodeWorkload, serverScript } from './workloads.js';

/** The workloads a Slipway runs when it is killed in the restore test; `dir` records their runs. */
export function restoreWorkloads(port: number, dir: string) {
  return {
    service: nodeWorkload('service', 'survivor', serverScript('survivor'), { port, workdir: dir }),
    finished: nodeWorkload(
      'job',
      'finished',
      "require('fs').appendFileSync('finished-runs', 'run\\n'); console.log('done')",
      { workdir: dir },
    ),
    // Runs until the file `release` exists.
    unfinished: nodeWorkload(
      'job',
      'unfinished',
      `const fs = require('fs');
       fs.appendFileSync('unfinished-runs', 'run\\n');
       console.log('pid ' + process.pid);
       const t = setInterval(() => { if (fs.existsSync('release')) clearInterval(t); }, 20);`,
      { workdir: dir },
    ),
    cron: nodeWorkload('cronjob', 'nightly', 'console.log("night")', {
      schedule: '0 3 * * *',
      workdir: dir,
    }),
  };
}
