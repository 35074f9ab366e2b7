import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { runAction } from './helpers/action.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';

describe('the Action in direct mode takes a JSON kubeconfig, and never shows a kubeconfig', () => {
  let kube: KubeApiServer;
  let checkout: TestRepo;
  let json: string;
  let token: string;
  const key = Buffer.from('-----BEGIN EC PRIVATE KEY----- not really').toString('base64');

  beforeAll(async () => {
    kube = await startKubeApiServer();
    const parent = mkdtempSync(path.join(os.tmpdir(), 'slipway-runner-work-'));
    checkout = createRepo(
      {
        'tasks/migrate/manifest.json': manifest({
          name: 'migrate',
          type: 'job',
          'image-destination': 'registry.example.com/shop/migrate:1',
        }),
      },
      { dir: path.join(parent, 'shop') },
    );
    // What kubectl reads as well as YAML: the same kubeconfig as one line of JSON.
    const config = parse(readFileSync(kube.kubeconfigPath, 'utf8'));
    token = config.users[0].user.token;
    expect(token.length).toBeGreaterThan(8);
    // Another user's credentials, unused but as secret.
    config.users.push({ name: 'admin', user: { 'client-key-data': key, password: 'hunter2-pw' } });
    json = JSON.stringify(config);
  });
  afterAll(async () => {
    await kube?.close();
    checkout?.cleanup();
  });

  it('deploys with a kubeconfig given as JSON content, its credentials masked', async () => {
    const run = await runAction(
      { command: 'deploy-task', kubeconfig: json, directory: 'tasks/migrate', namespace: 'tasks' },
      { workspace: checkout.dir },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('COMPLETE');
    expect(kube.objects('jobs', 'tasks').map((o) => o.metadata.name)).toEqual(['migrate']);
    const masks = run.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
    expect(masks).toContain(`::add-mask::${json}`);
    expect(masks).toContain(`::add-mask::${token}`);
    expect(masks).toContain(`::add-mask::${key}`);
    expect(masks).toContain('::add-mask::hunter2-pw');
    // Masked before anything else is printed.
    expect(run.stdout.indexOf(`::add-mask::${token}`)).toBeLessThan(run.stdout.indexOf('job '));
  });

  it('refuses a kubeconfig it cannot read without quoting it', async () => {
    const broken = json.slice(0, -1);
    const run = await runAction({ command: 'deploy-workspace', kubeconfig: broken });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error::Input "kubeconfig" looks like kubeconfig content but does not parse/,
    );
    expect(run.stdout).not.toContain(token);
    expect(run.stdout).not.toContain('apiVersion');

    const secretLike = await runAction({ command: 'deploy-workspace', kubeconfig: token });
    expect(secretLike.code).toBe(1);
    expect(secretLike.stdout).toContain(
      'looks like neither kubeconfig content nor an existing path',
    );
    expect(secretLike.stdout).not.toContain(token);

    // Parsed, but no kubeconfig a client can use: the input named, no stack trace.
    const empty = await runAction({
      command: 'deploy-workspace',
      kubeconfig: 'apiVersion: v1\nkind: Config\n',
    });
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain(
      '::error::Input "kubeconfig" is not a usable kubeconfig (it sets no current-context;',
    );
    expect(empty.stdout).not.toMatch(/ at .*index\.js/);
    expect(empty.stdout).not.toContain('slipway-action-');
    // The job summary says why too, though there was no job.
    expect(empty.summary).toContain('Slipway: failed');
    expect(empty.summary).toContain('Input &quot;kubeconfig&quot; is not a usable kubeconfig');
  });
});
