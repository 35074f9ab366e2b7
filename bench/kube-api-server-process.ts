// The Kubernetes API test server in a process of its own, so that a benchmark's client and the
// server do not share one thread (kubectl, a process of its own, never shares it either).
// Prints `{"kubeconfigPath": ...}` once listening; answers each `cpu` line on stdin with
// `{"cpuMs": ...}` (the CPU time it has used so far); exits when its parent closes stdin.
// An argument of N holds every request N ms before it is served: a network's round trip.
import { createInterface } from 'node:readline';
import { startKubeApiServer } from '../test/fakes/kube/index.js';

const server = await startKubeApiServer();
const latencyMs = Number(process.argv[2] ?? 0);
if (latencyMs > 0) server.inject({ delayMs: latencyMs, times: Number.POSITIVE_INFINITY });
process.stdout.write(`${JSON.stringify({ kubeconfigPath: server.kubeconfigPath })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line !== 'cpu') return;
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMs: (user + system) / 1000 })}\n`);
});
lines.on('close', async () => {
  await server.close();
  process.exit(0);
});
