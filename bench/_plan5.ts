import Database from 'better-sqlite3';
import { JOB_SELECT } from '../core/store/sqlite-schema.js';
const db = new Database(process.argv[2] as string, { readonly: true });
const t = db.prepare("SELECT target, count(*) n FROM jobs GROUP BY target ORDER BY n DESC LIMIT 1").get() as any;
const p = { target: t.target, type: 'WORKSPACE_DEPLOY', status0: 'QUEUED', limit: 1000, offset: 0 };
const variants: Record<string, string> = {
  full: `SELECT ${JOB_SELECT} FROM jobs WHERE target = @target AND type = @type AND status IN (@status0) ORDER BY created DESC, rowid DESC LIMIT @limit OFFSET @offset`,
  noorder: `SELECT ${JOB_SELECT} FROM jobs WHERE target = @target AND type = @type AND status IN (@status0) LIMIT @limit OFFSET @offset`,
  eq: `SELECT ${JOB_SELECT} FROM jobs WHERE target = @target AND type = @type AND status = @status0 ORDER BY created DESC, rowid DESC LIMIT @limit OFFSET @offset`,
  rowid: `SELECT rowid FROM jobs WHERE target = @target AND type = @type AND status IN (@status0) ORDER BY created DESC, rowid DESC LIMIT @limit OFFSET @offset`,
  star: `SELECT * FROM jobs WHERE target = @target AND type = @type AND status IN (@status0) ORDER BY created DESC, rowid DESC LIMIT @limit OFFSET @offset`,
  count: `SELECT COUNT(*) FROM jobs WHERE target = @target AND type = @type AND status IN (@status0)`,
};
for (const [name, sql] of Object.entries(variants)) {
  const st = db.prepare(sql); const params = name === 'count' ? { target: p.target, type: p.type, status0: p.status0 } : p; const n = st.all(params).length;
  const t0 = performance.now(); for (let i = 0; i < 5000; i++) st.all(params);
  console.log(name, n, ((performance.now() - t0) * 1000 / 5000).toFixed(1), 'us', (db.prepare('EXPLAIN QUERY PLAN ' + sql).all(params) as any[]).map((r) => r.detail).join(' | '));
}
