import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoIn } from './fixtures/datatask.js';
import { jobLog, request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const ME = { identity: 'dev@example.com' };

// Seed 001: with-configuration deploys the manifest given as `configuration`; repository and
// directory only say where the code is. A directory with no manifest.json, or a broken one, is
// still a fine place for code.
describe('with-configuration takes only the code from git', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    repoIn(reposDir, 'flows', {
      'code/hello.js': 'console.log("code from git");\n',
      'broken/hello.js': 'console.log("code beside a broken manifest");\n',
      'broken/manifest.json': '{"name": "broken", "type": "cronjob"',
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const deploy = (body: Record<string, unknown>) =>
    request(`${server.url}/v2/task/deploy/with-configuration`, 'POST', body, ME);
  const configuration = (name: string) => ({ name, type: 'job', cmd: ['node', 'hello.js'] });

  it.each([
    ['code', 'code from git'],
    ['broken', 'code beside a broken manifest'],
  ])('runs the configuration in %s, which has no valid manifest.json', async (directory, line) => {
    const response = await deploy({
      namespace: 'adhoc',
      configuration: configuration(`from-${directory}`),
      repository: 'flows',
      directory,
    });
    expect(response.status, response.text).toBe(202);
    const ended = await waitForJob(server, response.json.id);
    const log = await jobLog(server, response.json.id);
    expect(ended.status, log).toBe('COMPLETE');
    expect(log).toContain(`[from-${directory}] ${line}`);
  });

  it('still refuses a directory that is not there (404) and a bad configuration (400)', async () => {
    const missing = await deploy({
      namespace: 'adhoc',
      configuration: configuration('x'),
      repository: 'flows',
      directory: 'nope',
    });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("directory 'nope' not found");
    const bad = await deploy({
      namespace: 'adhoc',
      configuration: { name: 'x', type: 'cronjob' },
      repository: 'flows',
      directory: 'code',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('configuration is invalid');
  });
});
