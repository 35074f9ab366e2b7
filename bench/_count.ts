import Database from 'better-sqlite3';
const counts = new Map<string, number>();
const db0 = new Database(':memory:');
const proto = Object.getPrototypeOf(db0.prepare('select 1'));
for (const m of ['run', 'get', 'all']) {
  const orig = proto[m];
  proto[m] = function (this: { source: string }, ...a: unknown[]) { if ((globalThis as any).__on) counts.set(this.source.replace(/\s+/g, ' ').slice(0, 90), (counts.get(this.source.replace(/\s+/g, ' ').slice(0, 90)) ?? 0) + 1); return orig.apply(this, a); };
}
const { webhookIngest } = await import('./webhook-ingest.js');
(globalThis as any).__on = true;
await webhookIngest();
for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) console.log(String(v).padStart(6), k);
process.exit(0);
