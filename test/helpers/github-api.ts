import { Probot } from 'probot';
import type { GitHubApiServer } from '../fakes/github/index.js';

/** A Probot for the GitHub API test server's App, as Slipway's own is configured. */
export function probotFor(github: GitHubApiServer): Probot {
  return new Probot({
    appId: github.appId,
    privateKey: github.privateKey,
    baseUrl: github.baseUrl,
    logLevel: 'fatal',
  });
}

/** An installation token, asked for with the App's JWT as the App asks for one. */
export async function installationToken(
  github: GitHubApiServer,
  installationId: number,
): Promise<string> {
  const app = await probotFor(github).auth();
  const { data } = await app.request('POST /app/installations/{installation_id}/access_tokens', {
    installation_id: installationId,
  });
  return data.token;
}

export interface RequestFailure {
  status: number;
  data: unknown;
}

/** What an Octokit request that must fail answered; throws when it succeeded. */
export async function requestFailure(promise: Promise<unknown>): Promise<RequestFailure> {
  const { status, data } = await requestFailureWithHeaders(promise);
  return { status, data };
}

/** `requestFailure` with the answer's headers too. */
export async function requestFailureWithHeaders(
  promise: Promise<unknown>,
): Promise<RequestFailure & { headers: Record<string, string | undefined> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      status: number;
      response: { headers: Record<string, string | undefined>; data: unknown };
    };
    return { status: e.status, headers: e.response.headers, data: e.response.data };
  }
  throw new Error('expected the request to fail');
}
