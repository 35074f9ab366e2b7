import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { githubAppEnv } from './helpers/github-webhooks.js';
import { type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * A GitHub App configured with another App's id, or a key that is not its own, used to start
 * without a word and fail at the first deploy with "A JSON web token could not be decoded". The
 * server asks GitHub once at start and says so then, naming APP_ID and PRIVATE_KEY.
 */
let github: GitHubApiServer;
const servers: ServerProcess[] = [];
beforeAll(async () => {
  github = await startGitHubApiServer();
});
afterAll(async () => {
  for (const server of servers) await server.stop();
  await github?.close();
});

it('says GitHub accepted the App when its credentials are right', async () => {
  const server = await startServer({ env: githubAppEnv(github) });
  servers.push(server);
  await eventually(
    async () => server.logs().find((l) => l.msg === 'GitHub accepted the App'),
    'the App to be accepted',
  );
});

it('says GitHub refused them, naming APP_ID and PRIVATE_KEY, when the key is not the App’s', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const server = await startServer({ env: { ...githubAppEnv(github), PRIVATE_KEY: otherKey } });
  servers.push(server);
  const refused = await eventually(
    async () => server.logs().find((l) => String(l.msg).startsWith('GitHub refused')),
    'the App to be refused',
  );
  expect(refused).toMatchObject({
    level: 50,
    status: 401,
    msg: `GitHub refused the App's credentials: check that APP_ID (${github.appId}) is the App's id and PRIVATE_KEY (or PRIVATE_KEY_PATH) its private key; no deploy can fetch or report until they are`,
  });
  // The key itself is never logged.
  expect(server.output.join('\n')).not.toContain(otherKey.split('\n')[1]);
});
