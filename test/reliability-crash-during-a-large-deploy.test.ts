import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import {
  aboutRepository,
  deliver,
  examplePayload,
  githubAppEnv,
} from './helpers/github-webhooks.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const TASKS = 200;
/** `npm run test:reliability` runs 20; `npm test` a few, to fit CI time. */
const TRIALS = Number(process.env.RELIABILITY_TRIALS ?? 3);
const NS = 'big';

function tasks(trial: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < TASKS; i++) {
    files[`tasks/t${i}/manifest.json`] = manifest({
      name: `t${i}`,
      type: 'deployment',
      'image-destination': `registry.example.com/big/t${i}:1`,
      replicas: 0,
      env: [{ name: 'TRIAL', value: String(trial) }],
    });
  }
  return files;
}

describe(`crash: SIGKILL at a random point of a ${TASKS}-task deploy, ${TRIALS} times`, () => {
  let kube: KubeApiServer;
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installation: number;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-'));

  const start = () =>
    startServer({
      dataDir,
      env: {
        SLIPWAY_RUNTIME: 'kubernetes',
        KUBECONFIG: kube.kubeconfigPath,
        ...githubAppEnv(github),
        LOG_LEVEL: 'info',
      },
    });

  beforeAll(async () => {
    kube = await startKubeApiServer();
    github = await startGitHubApiServer();
    repo = createRepo(tasks(0));
    github.addRepository('acme/big', repo.dir);
    installation = github.addInstallation('acme', ['acme/big']).id;
    server = await start();
    await server.api('POST', '/api/workspaces', {
      name: 'big',
      repositoryUrl: 'acme/big',
      namespace: NS,
      timeoutSeconds: 120,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    await kube?.close();
    repo?.cleanup();
  });

  it(
    'ends every deploy COMPLETE after the restart, as git says, no job lost or doubled, one check run each',
    async () => {
      const jobs: string[] = [];
      for (let trial = 1; trial <= TRIALS; trial++) {
        const sha = repo.commit(tasks(trial), `trial ${trial}`);
        const payload = aboutRepository(
          examplePayload('push', undefined, (p) => Boolean(p.installation)),
          'acme/big',
          installation,
        );
        Object.assign(payload, { ref: 'refs/heads/main', after: sha, deleted: false });
        const delivery = await deliver(server.url, 'push', payload, github.webhookSecret);
        const id = delivery.json.jobs[0].job as string;
        jobs.push(id);
        await waitForJob(server, id, ['RUNNING'], 30_000);
        // Somewhere in fetching, applying, or waiting for health.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 1500));
        await server.kill();
        server = await start();
        const job = await waitForJob(server, id, ['COMPLETE', 'ERROR', 'STOPPED'], 120_000);
        expect(job.status, `trial ${trial}: ${job.message}`).toBe('COMPLETE');
        expect(job.commitId).toBe(sha);
        const deployments = kube.objects('deployments', NS);
        expect(deployments).toHaveLength(TASKS);
        const stale = deployments.filter(
          (d) =>
            d.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'TRIAL')
              ?.value !== String(trial),
        );
        expect(stale.map((d) => d.metadata.name)).toEqual([]);
        expect(
          (await jobLog(server, id)).match(/WORKSPACE_DEPLOY started/g)?.length,
        ).toBeLessThanOrEqual(2);
        const runs = await eventually(
          async () => {
            const completed = github
              .checkRuns('acme/big')
              .filter((r) => r.head_sha === sha && r.status === 'completed');
            return completed.length > 0 ? completed : undefined;
          },
          `trial ${trial}'s check run`,
          30_000,
        );
        expect(runs.map((r) => r.conclusion)).toEqual(['success']);
        // The result is the whole deploy's, whichever attempt applied what.
        const action = trial === 1 ? 'created' : 'changed';
        expect(job.result[action]).toHaveLength(TASKS);
        expect(runs[0]?.output.title).toMatch(new RegExp(`^(\\d+ \\w+, )*${TASKS} ${action}`));
      }
      const all = await server.api('GET', '/api/jobs?type=WORKSPACE_DEPLOY&size=100');
      expect(all.json.page.totalElements).toBe(TRIALS);
      expect(all.json._embedded.jobs.map((j: { id: string }) => j.id).sort()).toEqual(
        [...jobs].sort(),
      );
      expect(github.checkRuns('acme/big')).toHaveLength(TRIALS);
    },
    60_000 + TRIALS * 90_000,
  );
});
