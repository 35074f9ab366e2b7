import { afterAll, describe, expect, it } from 'vitest';
import { createRelease, productionScope } from './fixtures/np-service.js';
import { createRepo, manifest } from './helpers/git.js';
import { hammer } from './helpers/hammer.js';
import { crashAndRestart, type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/** `npm run test:reliability` runs 20; `npm test` a few, to fit CI time. */
const TRIALS = Number(process.env.RELIABILITY_TRIALS ?? 3);

/** A service answering its release on `/`, healthy a second after it starts. */
function service(version: number): Record<string, string> {
  return {
    'svc/manifest.json': manifest({ name: 'api', type: 'service', cmd: ['node', 'server.js'] }),
    'svc/server.js': `const started = Date.now();
require('node:http').createServer((q, s) => {
  if (q.url === '/health') { s.statusCode = Date.now() - started > 1000 ? 200 : 503; return s.end(); }
  s.end('v${version}');
}).listen(Number(process.env.PORT), '127.0.0.1');\n`,
  };
}

describe(`crash: SIGKILL at a random point of a blue-green release, ${TRIALS} times`, () => {
  let server: ServerProcess;
  afterAll(async () => {
    await server?.stop();
  });

  /** A call that may meet the crash: undefined when the server did not answer. */
  async function tryApi(method: string, route: string, body?: unknown): Promise<Json | undefined> {
    try {
      return await server.api(method, route, body);
    } catch {
      return undefined;
    }
  }

  /**
   * Drives deployment `id` as an operator would, through whatever the crash does: once it
   * runs, 50 % of traffic; once that is switched, finalize. Answers the deployment as it ended.
   */
  async function drive(id: number, blueGreen: boolean): Promise<Json> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const answer = await tryApi('GET', `/deployment/${id}?include_messages=true`);
      const d = answer?.status === 200 ? answer.json : undefined;
      if (d && ['finalized', 'failed', 'rolled_back', 'cancelled'].includes(d.status)) return d;
      if (d?.status === 'running' && blueGreen) {
        const data = d.strategy_data;
        if (data.desired_switched_traffic !== 50 && data.switched_traffic !== 50) {
          await tryApi('PATCH', `/deployment/${id}`, {
            strategy_data: { desired_switched_traffic: 50 },
          });
        } else if (data.switched_traffic === 50) {
          await tryApi('PATCH', `/deployment/${id}`, { status: 'finalizing' });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`deployment ${id} did not end within 90 s`);
  }

  it(
    'ends every release finalized after the restart, serving it alone, with every ROLLOUT job complete',
    async () => {
      const repo = createRepo(service(0));
      server = await startServer();
      const app = (
        await server.api('POST', '/application', { name: 'shop', repository_url: repo.dir })
      ).json;
      const scope = (await server.api('POST', '/scope', productionScope(app.id))).json;
      let previous: number | undefined;
      for (let trial = 0; trial <= TRIALS; trial++) {
        const commit = trial === 0 ? repo.head() : repo.commit(service(trial), `v${trial}`);
        const release = await createRelease(server, app.id, commit, `1.${trial}.0`);
        const deployment = (
          await server.api('POST', '/deployment', { scope_id: scope.id, release_id: release.id })
        ).json;
        const ended = drive(deployment.id, trial > 0);
        if (trial > 0) {
          // Somewhere in the launch, the traffic switch, or the finalize with its drain.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 4000));
          server = await crashAndRestart(server);
        }
        const d = await ended;
        expect(d.status, `trial ${trial}: ${JSON.stringify(d.messages)}`).toBe('finalized');
        const now = (await server.api('GET', `/scope/${scope.id}`)).json;
        expect(now.active_deployment).toBe(deployment.id);
        // The local runtime's processes are Slipway's children: a restart starts them again,
        // and the new release answers once its instance is ready again.
        await eventually(async () => {
          const answer = await fetch(now.address).catch(() => undefined);
          return answer?.status === 200 ? true : undefined;
        }, `trial ${trial}: the scope to answer`);
        const answers = await hammer(now.address, 20);
        expect(answers.answers, `trial ${trial}`).toEqual({ [`v${trial}`]: 20 });
        if (previous !== undefined) {
          expect((await server.api('GET', `/deployment/${previous}`)).json.status).toBe('deleted');
        }
        previous = deployment.id;
      }
      const jobs = (await server.api('GET', '/api/jobs?type=ROLLOUT&size=200')).json._embedded
        .jobs as Json[];
      expect(
        jobs.filter((j) => j.status !== 'COMPLETE').map((j) => [j.id, j.status, j.message]),
      ).toEqual([]);
      repo.cleanup();
    },
    60_000 + TRIALS * 60_000,
  );
});
