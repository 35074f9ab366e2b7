import { z } from 'zod';
import { formatPath } from '../../core/config/json-source.js';
import { describeIssue } from '../../core/config/problems.js';

/**
 * The parts of GitHub's webhook payloads that the App's handlers read (`slipway-app.ts`), as
 * GitHub sends them; anything else in a payload is left alone. A delivery is checked against them
 * before a handler runs, so a payload that is signed but malformed (a test tool, a proxy that
 * rewrote it) is a 400 naming the field instead of a handler failing half way with a 500.
 */
const sha = z.string().regex(/^[0-9a-f]{40}$/, { error: 'expected a 40-character commit id' });
const installation = z.looseObject(
  {
    id: z.number({ error: 'expected the installation id, a number' }).int(),
    account: z.looseObject({ login: z.string().optional() }).nullish(),
  },
  { error: 'expected the installation, an object with its id' },
);
const repository = z.looseObject(
  {
    full_name: z.string({ error: 'expected owner/name' }).regex(/^[^/\s]+\/[^/\s]+$/, {
      error: 'expected owner/name',
    }),
    owner: z.looseObject({ login: z.string().optional() }).optional(),
  },
  { error: 'expected the repository, an object with its full_name' },
);
const sender = z.looseObject({ login: z.string().optional() }).nullish();
const pullRequestRef = z.looseObject({
  number: z.number().int(),
  base: z.looseObject({ ref: z.string() }),
});

const PAYLOADS: Record<string, z.ZodType> = {
  push: z.looseObject({
    ref: z.string({ error: 'expected a ref such as refs/heads/main' }),
    before: z.string().optional(),
    after: sha,
    deleted: z.boolean().optional(),
    repository,
    installation: installation.optional(),
    sender,
  }),
  pull_request: z.looseObject({
    action: z.string(),
    pull_request: z.looseObject(
      {
        number: z.number().int(),
        updated_at: z.string().nullish(),
        head: z.looseObject({
          sha,
          ref: z.string().optional(),
          // Null when the fork it came from was deleted.
          repo: z.looseObject({ full_name: z.string() }).nullish(),
        }),
        base: z.looseObject({ ref: z.string() }),
        labels: z
          .array(z.looseObject({ name: z.string() }), { error: 'expected an array of labels' })
          .nullish(),
      },
      { error: 'expected the pull request, an object' },
    ),
    repository,
    installation: installation.optional(),
    sender,
  }),
  check_run: z.looseObject({
    action: z.string(),
    check_run: z.looseObject(
      {
        id: z.number().int(),
        name: z.string().optional(),
        external_id: z.string().nullish(),
        head_sha: sha,
        pull_requests: z.array(z.looseObject({ number: z.number().int() })).optional(),
      },
      { error: 'expected the check run, an object' },
    ),
    repository,
    installation: installation.optional(),
    sender,
  }),
  check_suite: z.looseObject({
    action: z.string(),
    check_suite: z.looseObject(
      {
        head_sha: sha,
        head_branch: z.string().nullish(),
        pull_requests: z.array(pullRequestRef, { error: 'expected an array of pull requests' }),
      },
      { error: 'expected the check suite, an object' },
    ),
    repository,
    installation: installation.optional(),
    sender,
  }),
  repository: z
    .looseObject({
      action: z.string(),
      repository,
      changes: z
        .looseObject({
          repository: z
            .looseObject({
              name: z.looseObject({ from: z.string({ error: 'expected the former name' }) }),
            })
            .optional(),
          owner: z
            .looseObject({
              from: z.looseObject({
                user: z.looseObject({ login: z.string({ error: 'expected a login' }) }).nullish(),
                organization: z
                  .looseObject({ login: z.string({ error: 'expected a login' }) })
                  .nullish(),
              }),
            })
            .optional(),
        })
        .optional(),
      installation: installation.optional(),
      sender,
    })
    .check((context) => {
      const { action, changes } = context.value;
      const issue = (path: PropertyKey[], message: string) =>
        context.issues.push({ code: 'custom', input: undefined, path, message });
      if (action === 'renamed' && changes?.repository?.name.from === undefined) {
        issue(['changes', 'repository', 'name', 'from'], 'expected the former name');
      }
      const from = changes?.owner?.from;
      if (action === 'transferred' && !from?.user?.login && !from?.organization?.login) {
        issue(['changes', 'owner', 'from'], 'expected the former owner, a user or organization');
      }
    }),
  installation: z.looseObject({
    action: z.string(),
    installation,
    repositories: z.array(z.looseObject({ full_name: z.string() })).nullish(),
  }),
  installation_repositories: z.looseObject({
    action: z.string(),
    installation,
    repositories_added: z.array(z.looseObject({ full_name: z.string() }), {
      error: 'expected an array of repositories',
    }),
    repositories_removed: z.array(z.looseObject({ full_name: z.string().nullish() }), {
      error: 'expected an array of repositories',
    }),
  }),
};

/**
 * Why a delivery's payload is not one of GitHub's `event` payloads: the first field that is off
 * (`field`, with no value: what may be logged) and a message naming it and its value (for the
 * sender only); undefined when it is one. Events the App does not handle need only be a JSON
 * object.
 *
 * @example
 * payloadProblem('push', { ref: 7 })
 * // { field: 'ref', message: '"ref" is 7; expected a ref such as refs/heads/main' }
 */
export function payloadProblem(
  event: string,
  payload: unknown,
): { field: string; message: string } | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { field: '', message: 'expected a JSON object' };
  }
  const schema = PAYLOADS[event];
  if (!schema) return undefined;
  const parsed = schema.safeParse(payload, { reportInput: true });
  if (parsed.success) return undefined;
  const [first] = parsed.error.issues;
  return first && { field: formatPath(first.path), message: describeIssue(first) };
}
