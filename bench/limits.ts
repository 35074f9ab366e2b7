/** What limits the targets missed, from CPU profiles of the benchmark runs (printed with them). */
export const LIMITS = `## What limits the missed targets (from CPU profiles of these runs)

- Everything runs on 2 cores with the load generator in the same process: at 50 connections
  the bare Probot floor itself shows a p99 of several hundred ms, so the 50 ms p99 target is out
  of reach on this machine for any route; the ratios are the meaningful figures.
- Webhook ingest: each delivery is one SQLite transaction (job row, superseding the queued one,
  two outbox rows) plus Probot building an installation Octokit per event; GC is the largest
  single cost. Group commits would raise throughput at the price of latency.
- Queue: each job is three transactions (enqueue, claim with its guard query, complete) and a
  JobLog flush; the floor is bare statements without the claim query or the log.
- REST reads: every request runs auth (SHA-256 of the token), metrics, the request context and
  the Matatika HAL shaping; the floor returns a constant.
- Workspace apply: client-node spends most of a request serializing; with keep-alive
  connections it matches kubectl (it was half as fast before), not 5x.
`;
