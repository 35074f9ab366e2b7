import Database from 'better-sqlite3';
import { jobListQuery, JOB_SELECT } from '../core/store/sqlite-schema.js';
const db = new Database(process.argv[2] as string, { readonly: true });
const t = db.prepare("SELECT target, count(*) n FROM jobs GROUP BY target ORDER BY n DESC LIMIT 1").get() as any;
console.log(t);
for (const limit of [1000, 20]) {
  const q = jobListQuery({ target: t.target, type: 'WORKSPACE_DEPLOY', status: ['QUEUED'] }, { offset: 0, limit });
  const plain = `SELECT ${JOB_SELECT} FROM jobs WHERE target = @target AND type = @type AND status IN (@status0) ORDER BY created DESC, rowid DESC LIMIT @limit OFFSET @offset`;
  for (const [name, sql] of [['wrapped', q.page], ['plain', plain]] as const) {
    const st = db.prepare(sql); st.all(q.params);
    const t0 = performance.now(); for (let i = 0; i < 2000; i++) st.all(q.params);
    console.log(limit, name, ((performance.now() - t0) * 1000 / 2000).toFixed(1), 'us', (db.prepare('EXPLAIN QUERY PLAN ' + sql).all(q.params) as any[]).map((r) => r.detail).join(' | '));
  }
}
