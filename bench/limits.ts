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
  toward 1 (the REST read measured 0.72x and the webhook 0.57x that way). Its pauses, and each
  side's work holding the other's on one event loop, also set the p99s: \`/healthz\` had a p99
  of 12 ms at a mean of 2 ms, and some webhook deliveries waited 400-900 ms before the server
  even parsed them.
- REST reads (met since job reads are cached; 0.66x the evening before, on a slower machine,
  when every request read the job from SQLite): the bare Hono route answers faster than one
  client thread asks: its server sits idle about half of its run, so its requests/s measure the
  client, and the ratio above flatters us. The server time per request (in the note) is the
  stricter figure: 58-66 µs against the floor's 32 µs now, 108-140 µs against 40-61 µs before
  the cache. On top of the floor's work every request checks the token (SHA-256), counts itself
  in the metrics, carries a request id and context for its log lines, goes through a router of
  about 100 routes and shapes the job as HAL. A job's row is read from SQLite again only when
  the database changed since (two checks, 2-3 µs inside the server, against 20-26 µs for the
  read: two \`fcntl\` lock calls per read in WAL mode, and cold caches); a job that runs
  writes its log, so it is read each time. The context alone costs 18-20 µs (measured by taking
  it out): on Node 20 AsyncLocalStorage puts a hook on every promise; Node 24 carries it in
  AsyncContextFrame instead, without the hooks.
- Webhook ingest: a delivery costs the server about 0.55-0.8 ms against the floor's 0.25-0.36
  (0.42 against 0.22 on a faster machine on 2026-12-01, 0.53 against 0.26 on 2026-12-02: the
  ratio holds). A profile of 2026-12-02 puts 35% of the server's busy time in the group commit
  (the transaction, its log writes and checkpoints) and 9% in superseding the queued deploy:
  0.8x would need about 190 µs less per push, nearly all of the store work the target itself
  asks for (a durable job before the 2xx).
  The floor verifies the signature, parses the JSON and has Probot build an Octokit for the event
  (35 µs in a tight loop, about half of it in Octokit's plugins; we pay it too). The difference
  is the store work of a push, measured alone at 170-195 µs in the transaction: find the
  workspaces of the repository, check the delivery id, supersede the queued deploy (its status,
  a log line, a check-run outbox entry), insert the job and its outbox entry, and note the
  installation, 12 statements in all. Deliveries that arrive together share one transaction
  (group commit, 15-25 per commit here), and each push still writes about 7 pages to the
  write-ahead log. On top of that come SQLite's checkpoints, every 1,000 log pages: their two
  fsyncs (0.4 ms each on an idle file here, far more with the pages they flush) and the
  write-back they force cost 100-140 µs per push; with checkpoints off, the server time fell from
  about 680 to 540 µs. Run instead from a second connection in a worker thread, they gave no
  clear gain through HTTP: on 2 vCPUs that thread takes CPU from the server and the client, and
  a passive checkpoint seldom catches up with continuous writes, so the log grows instead of
  starting over. Where the 7 pages come from (the log's frames of one commit of 20 pushes, read
  on 2026-12-01): 138 pages, of which 38 in the job log (keyed by job id), 30 in the outbox's
  index by key (a job id), 28 in the delivery id index and 20 in the jobs' primary key: random
  keys, each insert on a page of its own. Time-ordered job ids (UUID v7) took that to 59 pages
  (the delivery ids are GitHub's) and the server's time per push, measured without HTTP, from
  about 530 to 450-480 µs against the floor's 190; DESIGN.md makes job ids UUID v4, and the
  target would still be about 200 µs away. The p99 target needs about
  2,000 deliveries/s: with 50 closed-loop connections the mean latency is 50 over the
  throughput, and the floor's own p99 (32-65 ms across runs) lies about the 50 ms line: ours
  met it at 2,334 deliveries/s on 2026-12-01, and missed it at 1,858/s on 2026-12-02 (58.8 ms,
  the floor's own 46.9 ms) and at 1,586/s on the evening of 2026-11-30.
- Queue: the floor runs the same statements on Slipway's jobs table. Without the table's indexes
  (newest first, by workspace, by target and status, by status, and delivery id) the same
  statements run 2.5x faster. Those indexes are what keep the lists and the claim fast at
  100,000 jobs.
- Workspace apply: the Kubernetes API test server is the limit. It runs in a process of its own
  and is busy all through Slipway's apply (CPU time in the note): about 3 ms of CPU per task, for
  the apply and the four writes its controllers make for each Deployment (the ReplicaSet, the
  revision annotation, two status updates), as a real control plane does; the controllers take
  about 40% of it, on the server's one thread, where a real cluster runs them in a process of
  their own. Slipway sends one list per namespace, then one apply per object, 16 at a time;
  \`kubectl apply -f\` sends a GET and a create per object, one after another, and the server is
  as busy under it (2.7 CPU-seconds in its 2.9 s), so the ratio is mostly the ratio of the
  server's work for the two. Slipway's own side costs 1.5-2.4 ms of CPU per object, rendering
  included, most of it in \`@kubernetes/client-node\` (its ObjectSerializer about a fifth,
  node-fetch and TLS most of the rest): against a server that cost nothing it would still apply
  only 400-700 objects/s, while kubectl's own CPU is about 2.3 ms per object.
  \`kubectl apply --server-side -f\` sends one apply per object, like Slipway, so its time per
  object is the server's plus its own, and no client can be much more than 1.25x faster than it
  on a server that does its work on one thread. The test server answers from memory on
  loopback, with no round trip and no storage write to wait for: that is where sending 16
  requests at a time pays, and the second figure of the note shows it. With 2 ms added to
  every request, kubectl's 1,000 requests in a row wait about 2 s more, while Slipway's
  apply takes no longer than without (1.1-1.3 s against 5.4-6.3 s across runs, 4.4-5.0x).
  Profiled on 2026-12-02 against a warm test server, Slipway's process sat idle 44% of its
  apply: of the server's 1.6-2.6 ms of CPU per object, a third went to its controllers, a sixth
  to managed-fields bookkeeping, and a tenth each to copying objects and garbage collection. A
  cheaper server would speed kubectl too, whose own 2.3 ms per object run one after another: on
  loopback, one request per object from a Node client, the ratio stays near 2-2.5x.
- Lists at 100,000 jobs: a page is found in the newest-first index alone, then read, and an
  unfiltered list (or one by status and type) is counted from the counts kept per type and
  status. OFFSET steps over every index entry it skips, 9 ns apiece (an index on an integer, a
  third of the pages, skips no faster): the middle page of all jobs spent 0.45 ms skipping 50,000
  entries, and its p99 sat at the line (19-29 ms across runs). Deep pages of the list of all jobs
  now start at anchors that count jobs from the oldest one (built once as far as a deep page
  needs, about 10 ms for 100,000 jobs; new jobs move none of them, a deleted job or one added out of
  order moves those after it by one) and skip at most about 1,000 entries, so every page costs
  about what the first does. A filtered list
  keeps OFFSET, from the nearer end of its index. Reading a page's 20 rows of 21 columns costs
  120 µs (raw rows mapped to jobs in JavaScript would save 30 of them). With 10 closed-loop
  connections a request waits for the 9 before it, so the mean latency is about 10 times the
  server's time, and the p99 about twice to three times the mean. Each route is measured warm
  (500 requests first), three passes of 2,000. On 2026-12-02 the deep page's p99 was 20.7 ms,
  over the line, on a machine whose floor (\`/healthz\`, which reads nothing) had a p99 of
  8.5 ms against 3.2 ms the day before: the tail there is the machine's.
`;
