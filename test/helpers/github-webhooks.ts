import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { type ApiResponse, type Json, request } from './server.js';

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{
  name: string;
  examples: Json[];
}>;

/**
 * A deep copy of one of GitHub's own example payloads (`@octokit/webhooks-examples`) for `event`
 * (and `action`), the first that `where` accepts.
 */
export function examplePayload(
  event: string,
  action?: string,
  where: (p: Json) => boolean = () => true,
): Json {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((p) => (action === undefined || p.action === action) && where(p));
  if (!found) throw new Error(`no example payload for ${event}${action ? `.${action}` : ''}`);
  return structuredClone(found);
}

/** Makes an example payload about `owner/name`, sent through installation `installationId`. */
export function aboutRepository(payload: Json, fullName: string, installationId: number): Json {
  const [owner, name] = fullName.split('/');
  payload.repository = {
    ...payload.repository,
    name,
    full_name: fullName,
    owner: { ...payload.repository.owner, login: owner },
    private: true,
  };
  payload.installation = {
    id: installationId,
    node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==',
  };
  return payload;
}

/**
 * A `push` of `after` to `ref` of `owner/name`, through installation `installationId`; from
 * `before` (where the branch was) when given, else the example's.
 */
export function pushEvent(
  fullName: string,
  installationId: number,
  after: string,
  ref = 'refs/heads/main',
  before?: string,
): Json {
  const payload = aboutRepository(
    examplePayload('push', undefined, (p) => Boolean(p.installation)),
    fullName,
    installationId,
  );
  return {
    ...payload,
    ref,
    after,
    ...(before ? { before } : {}),
    deleted: false,
    created: false,
  };
}

/** A `check_run.rerequested` of check run `run` (its id, name, commit and job id). */
export function rerequestedRun(
  fullName: string,
  installationId: number,
  run: { id: number; name: string; head_sha: string; external_id: string | null },
): Json {
  const payload = aboutRepository(
    examplePayload('check_run', 'rerequested'),
    fullName,
    installationId,
  );
  const { id, name, head_sha, external_id } = run;
  Object.assign(payload.check_run, { id, name, head_sha, external_id });
  return payload;
}

/** A `check_suite.rerequested` of the suite on `headSha` of branch `headBranch` (null: none). */
export function rerequestedSuite(
  fullName: string,
  installationId: number,
  headSha: string,
  headBranch: string | null,
  pullRequests: Json[] = [],
): Json {
  const suite = aboutRepository(
    examplePayload('check_suite', 'rerequested'),
    fullName,
    installationId,
  );
  suite.check_suite.head_branch = headBranch;
  suite.check_suite.head_sha = headSha;
  suite.check_suite.pull_requests = pullRequests;
  return suite;
}

export interface Delivery {
  id: string;
  status: number;
  json: Json;
}

/** POSTs a webhook as GitHub does: JSON body, event and delivery headers, sha256 signature. */
export async function deliver(
  url: string,
  event: string,
  payload: Json,
  secret: string,
  options: { id?: string; signature?: string } = {},
): Promise<Delivery> {
  const id = options.id ?? randomUUID();
  const body = JSON.stringify(payload);
  const response = await fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-github-hook-id': '292430182',
      'x-github-hook-installation-target-type': 'integration',
      'x-hub-signature-256': options.signature ?? (await sign(secret, body)),
    },
    body,
  });
  const text = await response.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { id, status: response.status, json };
}

/** The environment that points a Slipway server's GitHub App at the GitHub API test server. */
export function githubAppEnv(github: {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  host: string;
}): Record<string, string> {
  return {
    APP_ID: String(github.appId),
    PRIVATE_KEY: github.privateKey,
    WEBHOOK_SECRET: github.webhookSecret,
    GHE_HOST: github.host,
    GHE_PROTOCOL: 'http',
  };
}

/**
 * A push to a workspace's own webhook (`POST /api/workspaces/{id}/deployments/github-webhook`)
 * as GitHub sends it: JSON, signed with its deployment secret, a fresh delivery id unless given.
 */
export function pushToWorkspace(
  server: { url: string },
  workspace: { id: string; deploymentSecret: string },
  push: { after: string; before?: string; ref?: string },
  delivery: string = randomUUID(),
): Promise<ApiResponse> {
  const body = JSON.stringify({ ref: 'refs/heads/main', ...push });
  const signature = createHmac('sha256', workspace.deploymentSecret).update(body).digest('hex');
  return request(
    `${server.url}/api/workspaces/${workspace.id}/deployments/github-webhook`,
    'POST',
    body,
    {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${signature}`,
    },
  );
}
