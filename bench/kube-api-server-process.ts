// The Kubernetes API test server in a process of its own, so that a benchmark's client and the
// server do not share one thread (kubectl, a process of its own, never shares it either).
// Prints `{"kubeconfigPath": ...}` once listening; exits when its parent closes stdin.
import { startKubeApiServer } from '../test/fakes/kube/index.js';

const server = await startKubeApiServer();
process.stdout.write(`${JSON.stringify({ kubeconfigPath: server.kubeconfigPath })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  process.exit(0);
});
