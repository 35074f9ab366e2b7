import { webhookIngest } from './webhook-ingest.js';

for (let r = 0; r < Number(process.env.R ?? 3); r++) {
  const x = await webhookIngest();
  console.log(
    'ours',
    x.ours.perSecond.toFixed(0),
    'p99',
    x.ours.p99Ms.toFixed(0),
    'floor',
    x.floor.perSecond.toFixed(0),
    'p99',
    x.floor.p99Ms.toFixed(0),
    (x.ours.perSecond / x.floor.perSecond).toFixed(2),
    'forged',
    x.forged.perSecond.toFixed(0),
  );
}
process.exit(0);
