import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess, startServer } from './helpers/server.js';

const ME = { identity: 'dev@example.com' };

describe('POST /v2/task/deploy/with-configuration: `deployment` names a deployment definition', () => {
  let server: ServerProcess;
  let devId: number;

  beforeAll(async () => {
    const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-definitions-'));
    writeFileSync(
      path.join(templatesDir, 'etl.json'),
      JSON.stringify({
        name: 'etl',
        type: 'job',
        cmd: ['node', '-e', '0'],
        deployments: [{ name: 'dev', type: 'KUBERNETES', namespace: 'etl-dev' }],
      }),
    );
    server = await startServer({ env: { SLIPWAY_TEMPLATES_DIR: templatesDir } });
    devId = (await server.api('GET', '/api/v1/deployments?pattern=etl&name=dev')).json[0].id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const deploy = (body: unknown) =>
    request(`${server.url}/v2/task/deploy/with-configuration`, 'POST', body, ME);

  it('takes the id MetaKraftwerk lists, as a JSON number or a string, or the name', async () => {
    for (const deployment of [devId, String(devId), 'dev']) {
      const response = await deploy({ template_path: 'etl.json', deployment });
      expect(response.status, `${JSON.stringify(deployment)}: ${response.text}`).toBe(202);
      expect(response.json).toMatchObject({ namespace: 'etl-dev', name: 'etl', kind: 'job' });
    }
    const unknown = await deploy({ template_path: 'etl.json', deployment: devId + 1000 });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toBe(`pattern 'etl' has no deployment '${devId + 1000}'`);
  });

  it('refuses a namespace other than the one the definition delivers into, and takes the same one', async () => {
    const other = await deploy({
      template_path: 'etl.json',
      deployment: 'dev',
      namespace: 'elsewhere',
    });
    expect(other.status, other.text).toBe(400);
    expect(other.json.message).toBe(
      `"namespace" is "elsewhere", but deployment 'dev' delivers into "etl-dev"; expected one of the two: the definition, or "namespace" without "deployment"`,
    );
    const same = await deploy({
      template_path: 'etl.json',
      deployment: 'dev',
      namespace: 'etl-dev',
    });
    expect(same.status, same.text).toBe(202);
    expect(same.json).toMatchObject({ namespace: 'etl-dev' });
    // Without a definition, the namespace is the caller's to give.
    const own = await deploy({ template_path: 'etl.json', namespace: 'elsewhere' });
    expect(own.status, own.text).toBe(202);
    expect(own.json).toMatchObject({ namespace: 'elsewhere' });
  });

  it('says a deployment definition was expected, not a repository, for a value of another type', async () => {
    for (const [deployment, seen] of [
      [true, 'true'],
      [1.5, '1.5'],
      [{ name: 'dev' }, '{"name":"dev"}'],
    ] as const) {
      const response = await deploy({ template_path: 'etl.json', deployment });
      expect(response.status).toBe(400);
      expect(response.json.message).toBe(
        `request body is invalid: "deployment" is ${seen}; expected the name or id of one of the pattern's deployment definitions, or "" for none`,
      );
      expect(response.json.message).not.toMatch(/repository/);
    }
  });
});
