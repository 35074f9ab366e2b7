import { z } from 'zod';
import { foldToLatin } from '../config/index.js';
import { MAX_PAUSE_REASON } from './pause.js';

/** Lowercase RFC 1123 label: what Kubernetes accepts as a namespace and a label value. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const dnsLabel = (what: string) =>
  z
    .string({ error: `expected a string (${what})` })
    .max(63, { error: `expected at most 63 characters (${what})` })
    .regex(DNS_LABEL, {
      error: `expected lowercase letters, digits and '-', starting and ending with a letter or digit (${what})`,
    });

/** A branch name git would accept, and nothing an option parser could mistake for a flag. */
export const branchName = z
  .string({ error: 'expected a string (a branch name)' })
  .min(1, { error: 'expected a branch name, got an empty string' })
  .max(255, { error: 'expected at most 255 characters' })
  .refine((value) => isValidRefName(value), {
    error:
      'expected a git branch name (no spaces, "..", "~", "^", ":", "?", "*", "[", "\\", no leading "-")',
  });

const repositoryUrl = z
  .string({ error: 'expected a string (a git URL, path or repository name)' })
  .trim()
  .min(1, { error: 'expected a git URL, path or repository name, got an empty string' })
  .max(2048, { error: 'expected at most 2048 characters' })
  .refine((value) => !value.startsWith('-') && !/[\s\0]/.test(value), {
    error: 'expected a git URL, path or repository name without spaces or a leading "-"',
  });

const name = z
  .string({ error: 'expected a string' })
  .trim()
  .min(1, { error: 'expected a non-empty name' })
  .max(100, { error: 'expected at most 100 characters' });

const previews = z
  .boolean({ error: 'expected true or false (whether pull requests get preview workspaces)' })
  .describe(
    "true: each pull request against the branch (from the same repository) gets a workspace of its own, deploying the pull request's branch until it closes",
  );

/** At most 50 characters, as GitHub's label names. */
const previewLabel = z
  .string({ error: 'expected a label name (a string) or null' })
  .trim()
  .min(1, { error: 'expected a non-empty label name' })
  .max(50, { error: 'expected at most 50 characters, as a GitHub label' })
  .refine((value) => !/[\p{Cc}]/u.test(value), { error: 'expected no control characters' })
  .nullable()
  .describe(
    'with previews: only pull requests carrying this GitHub label (any case) get a preview; null: every pull request',
  );

const timeoutSeconds = z
  .number({ error: 'expected a whole number of seconds' })
  .int({ error: 'expected a whole number of seconds' })
  .min(1, { error: 'expected at least 1 second' })
  .max(86_400, { error: 'expected at most 86400 seconds (one day)' });

/** Fields of a workspace's JSON that a client may send back unchanged; they are ignored. */
const readOnly = {
  id: z.unknown().optional(),
  created: z.unknown().optional(),
  lastModified: z.unknown().optional(),
  status: z.unknown().optional(),
  deploymentSecret: z.unknown().optional(),
  lastDeployment: z.unknown().optional(),
  paused: z.unknown().optional(),
  preview: z.unknown().optional(),
  _links: z.unknown().optional(),
};

/** Body of `POST /api/workspaces`. */
export const createWorkspaceSchema = z.strictObject({
  name,
  repositoryUrl,
  branch: branchName.optional(),
  namespace: dnsLabel('a Kubernetes namespace').optional(),
  alias: dnsLabel('an alias').optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  previews: previews.optional(),
  previewLabel: previewLabel.optional(),
  ...readOnly,
});

/** Body of `PUT /api/workspaces/{id}`: the fields to change; absent ones keep their value. */
export const updateWorkspaceSchema = z.strictObject({
  name: name.optional(),
  repositoryUrl: repositoryUrl.optional(),
  branch: branchName.optional(),
  namespace: dnsLabel('a Kubernetes namespace').optional(),
  alias: dnsLabel('an alias').optional(),
  timeoutSeconds: timeoutSeconds.optional(),
  previews: previews.optional(),
  previewLabel: previewLabel.optional(),
  ...readOnly,
});

/** Body of `PUT /api/workspaces/{id}/paused`: why its deploys are paused, if said. */
export const pauseWorkspaceSchema = z.strictObject({
  reason: z
    .string({ error: 'expected a string (why deploys are paused)' })
    // Its length and characters are checked where it is kept (`reasonOf`).
    .describe(`one line, at most ${MAX_PAUSE_REASON} characters; null clears it`)
    .nullable()
    .optional(),
  until: z
    .string({ error: 'expected a string (an ISO-8601 time, such as 2026-12-07T09:00:00Z)' })
    // Checked against the clock where it is kept (`untilOf`).
    .describe('when the pause ends by itself, as a resume would; null: when someone resumes it')
    .nullable()
    .optional(),
});

export type CreateWorkspaceInput = z.infer<typeof createWorkspaceSchema>;
export type UpdateWorkspaceInput = z.infer<typeof updateWorkspaceSchema>;

/**
 * The alias a name gets by default: folded to latin (`foldToLatin`), runs of other characters
 * as '-', at most 63.
 *
 * @example
 * defaultAlias('Data Team #1') // 'data-team-1'
 * defaultAlias('Café Crème') // 'cafe-creme'
 */
export function defaultAlias(value: string): string {
  return foldToLatin(value)
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/** `git check-ref-format --branch` rules, as far as a deploy tool needs them. */
export function isValidRefName(value: string): boolean {
  if (value.startsWith('-') || value.startsWith('/') || value.endsWith('/')) return false;
  if (value.endsWith('.') || value.endsWith('.lock') || value === '@') return false;
  if (value.includes('..') || value.includes('//') || value.includes('@{')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(value);
}
