/** What limits the targets missed, from CPU profiles of the benchmark runs (printed with them). */
export const LIMITS = `## What limits the missed targets (from CPU profiles of these runs)

- The machine: 2 vCPUs. For the queue, REST and webhook figures the load generator (undici
  \`fetch\`) runs in the benchmark's process beside both servers; for the 100,000-job figures the
  server is a child process. A read of one job that takes 6 µs in a tight loop takes 20-35 µs
  inside the server under load, with the client busy on the other vCPU. Runs on the same day
  differ by up to a third in absolute figures; the ratios move less.
- Webhook ingest: the route with the store work taken out runs at 0.85-0.9x of the bare Probot
  route, so verifying, parsing, Probot and the 202 are not what is missing. The store work of a
  push is: find the workspaces of the repository, check the delivery id, supersede the queued
  deploy (its status, a log line, a check-run outbox entry), insert the job and its outbox entry,
  and note the installation. That is 12 statements, about 0.19 ms inside the server (0.29 ms
  while SQLite planned the supersede list again on every call). Group commit (one
  transaction for the deliveries of one event-loop turn) took the ratio from 0.39x to the figure
  above. The p99 target cannot be met with 50 closed-loop connections here: mean latency is 50
  over the throughput (about 50 ms at 1,000/s), and the bare floor's own p99 is over 100 ms.
- REST reads: on top of the floor's work, every request checks the token (SHA-256), counts
  itself in the metrics, carries a request id and context for its log lines, reads the job from
  SQLite (about 20 µs inside the server, 6 µs in a tight loop) and shapes it as HAL. Runs of
  this benchmark land between 0.66x and 0.73x, on either side of the target.
- Queue: the floor runs the same statements on Slipway's jobs table. Without the table's indexes
  (newest first, by workspace, by target and status, by status, and delivery id) the same
  statements run 2.5x faster. Those indexes are what keep the lists and the claim fast at
  100,000 jobs.
- Workspace apply: the Kubernetes API test server is the limit. It runs in a process of its own
  and is busy all through Slipway's apply (CPU time in the note): about 3 ms of CPU per task, for
  the apply and the four writes its controllers make for each Deployment (the ReplicaSet, the
  revision annotation, two status updates), as a real control plane does. Slipway sends one list
  per namespace, then one apply per object, 16 at a time; \`kubectl apply -f\` sends a GET and a
  create per object, one after another. \`kubectl apply --server-side -f\` sends one apply per
  object, like Slipway, so its time per object is the server's plus its own, and no client can be
  much more than 1.25x faster than it on a server that does its work on one thread.
- Lists at 100,000 jobs: a page is found in the newest-first index alone, then read, and a page
  past the middle is found from the far end of the index (page 4,000 of 5,000 skips 20,000
  entries, not 80,000). The middle page is the deepest any page can lie: skipping 50,000 index
  entries costs about 0.5 ms inside the server. A first page costs its query and a COUNT(*) over
  100,000 index entries (0.3 ms together inside the server), 20 HAL jobs as JSON, and one log
  line. At 10 connections the p99 is 2.5-3x the mean latency for every route, the single-job
  read included. Each route is measured warm (500 requests first), three passes of 2,000.
`;
