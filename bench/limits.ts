/** What limits the targets missed, from CPU profiles of the benchmark runs (printed with them). */
export const LIMITS = `## What limits the missed targets (from CPU profiles of these runs)

- The machine: 2 vCPUs. Loads come from \`node:http\` keep-alive clients. For the REST and
  webhook figures both servers run in the benchmark's main thread and the client in a worker
  thread, so each has a core; for the 100,000-job figures the server is a child process and the
  client the benchmark's main thread. Runs on the same day differ by up to a third in absolute
  figures; the ratios move less.
- How the client is measured changed the figures. Until 2026-11-30 the client was undici
  \`fetch\` on the servers' own event loop: fetch cost about 0.25 ms of CPU per request, with
  garbage-collection pauses of 5-13 ms, and the same client cost on both sides pulled every ratio
  toward 1 (the REST read measured 0.72x and the webhook 0.57x that way). Its pauses, and each side's work holding the other's on one event
  loop, also set the p99s: \`/healthz\` had a p99 of 12 ms at a mean of 2 ms, and some webhook
  deliveries waited 400-900 ms before the server even parsed them.
- REST reads: the bare Hono route answers faster than one client thread asks: its server sits
  idle about half of its run, so its requests/s measure the client, and the ratio above flatters
  us. The server time per request (in the note) is the stricter figure: about 120-135 µs against
  the floor's 50-55 µs. On top of the floor's work every request checks the token (SHA-256),
  counts itself in the metrics, carries a request id and context for its log lines (on Node 20
  AsyncLocalStorage puts a hook on every promise), goes through a router of about 100 routes,
  reads the job from SQLite (20-26 µs inside the server, 7 µs in a tight loop: two \`fcntl\` lock
  calls per read in WAL mode, and cold caches) and shapes it as HAL.
- Webhook ingest: a delivery costs the server about 0.55-0.8 ms against the floor's 0.25-0.36.
  The floor verifies the signature, parses the JSON and has Probot build an Octokit for the event
  (about 80 µs, which we pay too). The difference is the store work of a push, 0.28 ms in the
  transaction plus 0.07 ms of commit: find the workspaces of the repository, check the delivery
  id, supersede the queued deploy (its status, a log line, a check-run outbox entry), insert the
  job and its outbox entry, and note the installation, 12 statements in all. Deliveries that
  arrive together share one transaction (group commit, 15-25 per commit here). Each push dirties
  about 8 pages of the write-ahead log, most of them in indexes keyed by random UUID v4s (job
  id, delivery id, log lines and outbox entries by job id); time-ordered ids would halve that,
  but DESIGN.md makes job ids UUID v4. The p99 target needs about 2,000 deliveries/s: with 50
  closed-loop connections the mean latency is 50 over the throughput.
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
- Lists at 100,000 jobs: a page is found in the newest-first index alone, then read; a page past
  the middle is found from the far end of the index (page 4,000 of 5,000 skips 20,000 entries,
  not 80,000), and an unfiltered list (or one by status and type) is counted from the counts kept
  per type and status. The middle page is the deepest any page can lie: skipping 50,000 index
  entries costs about 0.5 ms, some 10 ns an entry, which is SQLite's own pace. With 10
  closed-loop connections a request waits for the 9 before it, so the mean latency is about 10
  times the server's time, and the p99 about twice the mean. Each route is measured warm (500
  requests first), three passes of 2,000.
`;
