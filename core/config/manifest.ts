import { z } from 'zod';
import type { Problem } from '../errors.js';
import type { EnvVar, Published } from '../runtime/types.js';
import { duplicateKeyProblems, parseJsonSource } from './json-source.js';
import {
  cronProblem,
  isQuantity,
  labelProblems,
  NAME_PATTERN,
  parseLabels,
  quantityValue,
} from './kubernetes-values.js';
import { issuesToProblems, sortProblems } from './problems.js';

/** A task's `manifest.json` (DESIGN.md section 7.2), after validation. */
export interface TaskManifest {
  /** Lowercase RFC 1123 label, at most 63 characters. */
  name: string;
  type: 'job' | 'deployment' | 'service';
  /** Parsed from `"key:value"` or `"k1:v1,k2:v2"`. */
  labels: Record<string, string>;
  imageDestination: string | null;
  cmd: string[] | null;
  env: EnvVar[];
  /** Cron expression; null when absent or empty. Only jobs have one (they become cron jobs). */
  schedule: string | null;
  replicas: number | null;
  containerPort: number | null;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | null;
  cpuRequest: string | null;
  cpuLimit: string | null;
  memoryRequest: string | null;
  memoryLimit: string | null;
  /** How a service is exposed; only services have one. */
  published: Published | null;
}

export const TASK_TYPES = ['job', 'deployment', 'service'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
/** The keys `manifest.json` may have, in the order DESIGN.md section 7.2 lists them. */
export const TASK_MANIFEST_KEYS = [
  'name',
  'type',
  'labels',
  'image-destination',
  'cmd',
  'env',
  'schedule',
  'replicas',
  'container-port',
  'image-pull-policy',
  'cpu-request',
  'cpu-limit',
  'memory-request',
  'memory-limit',
  'published',
] as const;
/** The keys of `published`. */
export const PUBLISHED_KEYS = [
  'access',
  'prefix',
  'rewrite',
  'timeout_ms',
  'sticky_sessions',
  'bypass_auth',
] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A CronJob's Jobs are named `<name>-<11 characters>`, so the CronJob name is 52 at most.
const CRONJOB_NAME_MAX = 52;

/** A Kubernetes object name (RFC 1123 label), as zod checks it. */
/**
 * Whether a Kubernetes name (one that matches NAME_PATTERN) may name a Service too: a service
 * task's name is its Service's, a DNS-1035 label, which starts with a letter.
 */
export function isServiceName(name: string): boolean {
  return !/^[0-9]/.test(name);
}

export const objectName = z
  .string({ error: 'expected a string' })
  .max(63, { error: 'expected at most 63 characters' })
  .regex(NAME_PATTERN, {
    error: "expected lowercase letters, digits and '-', starting and ending with a letter or digit",
  });

const text = z.string({ error: 'expected a string' });
const quantity = z
  .string({ error: 'expected a string such as "100m", "0.5", "128Mi" or "1G"' })
  .refine(isQuantity, {
    error: 'expected a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1G"',
  });
const flag = z.boolean({ error: 'expected true or false' });

/**
 * The zod schema of `manifest.json`: documented keys only (an unknown key is a problem naming
 * it); JSON `null` counts as absent. Rules that tie keys together (a schedule only on a job,
 * `published` only on a service, a request not above its limit) are checked at the end.
 */
export const taskManifestSchema = z
  .strictObject(
    {
      name: objectName,
      type: z.enum(TASK_TYPES, { error: `expected one of ${TASK_TYPES.join(', ')}` }),
      labels: z
        .string({ error: 'expected a string like "team:data" or "team:data,tier:batch"' })
        .superRefine((value, ctx) => {
          for (const message of labelProblems(value)) ctx.addIssue({ code: 'custom', message });
        })
        .nullish(),
      'image-destination': text.nullish(),
      cmd: z
        .array(text, { error: 'expected an array of strings' })
        .min(1, { error: 'expected at least the program to run' })
        .refine((cmd) => cmd[0] !== '', { error: 'expected the program to run first, not ""' })
        .nullish(),
      env: z
        .array(
          z.strictObject(
            {
              name: text.regex(ENV_NAME, {
                error: 'expected letters, digits and "_", not starting with a digit',
              }),
              value: z.string({ error: 'expected a string (quote numbers and booleans)' }),
            },
            { error: 'expected an object {"name": ..., "value": ...}' },
          ),
          { error: 'expected an array of {"name": ..., "value": ...}' },
        )
        .nullish(),
      schedule: z
        .string({ error: 'expected a cron expression string ("" for none)' })
        .superRefine((value, ctx) => {
          const problem = value.trim() === '' ? null : cronProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .nullish(),
      replicas: z
        .number({ error: 'expected a whole number' })
        .int({ error: 'expected a whole number' })
        .min(0, { error: 'expected 0 or more' })
        .nullish(),
      'container-port': z
        .number({ error: 'expected a port number' })
        .int({ error: 'expected a whole port number' })
        .min(1, { error: 'expected a port from 1 to 65535' })
        .max(65_535, { error: 'expected a port from 1 to 65535' })
        .nullish(),
      'image-pull-policy': z
        .enum(PULL_POLICIES, { error: `expected one of ${PULL_POLICIES.join(', ')}` })
        .nullish(),
      'cpu-request': quantity.nullish(),
      'cpu-limit': quantity.nullish(),
      'memory-request': quantity.nullish(),
      'memory-limit': quantity.nullish(),
      published: z
        .strictObject(
          {
            access: text.nullish(),
            prefix: text.startsWith('/', { error: 'expected a path starting with "/"' }).nullish(),
            rewrite: text.nullish(),
            timeout_ms: z
              .number({ error: 'expected milliseconds' })
              .int({ error: 'expected whole milliseconds' })
              .positive({ error: 'expected more than 0' })
              .nullish(),
            sticky_sessions: flag.nullish(),
            bypass_auth: flag.nullish(),
          },
          { error: 'expected an object' },
        )
        .nullish(),
    },
    { error: 'expected a JSON object' },
  )
  .superRefine(
    (raw, ctx) => {
      // This runs even when some keys failed (`when` below), so every problem of the file is
      // reported at once; each value is therefore checked before it is used.
      if (typeof raw !== 'object' || raw === null) return;
      const m = raw as Record<string, unknown>;
      const type = TASK_TYPES.find((t) => t === m.type);
      const add = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: 'custom', path, message });
      const scheduled = typeof m.schedule === 'string' && m.schedule.trim() !== '';
      if (type && type !== 'job' && scheduled) {
        add(
          ['schedule'],
          `"schedule" is set on a ${type}; only a job can have a schedule (it becomes a cron job)`,
        );
      }
      if (
        type === 'job' &&
        scheduled &&
        typeof m.name === 'string' &&
        m.name.length > CRONJOB_NAME_MAX
      ) {
        add(
          ['name'],
          `"name" is ${m.name.length} characters long; a job with a schedule (a cron job) may have at most ${CRONJOB_NAME_MAX}`,
        );
      }
      if (type === 'service' && typeof m.name === 'string' && !isServiceName(m.name)) {
        add(
          ['name'],
          `"name" is "${m.name}"; a service's name is its Kubernetes Service's, which must start with a letter`,
        );
      }
      if (type && type !== 'service' && m.published != null) {
        add(['published'], `"published" is set on a ${type}; only a service can be published`);
      }
      // A job runs once to completion, in one process: these would be ignored without a word.
      if (type === 'job' && m.replicas != null) {
        add(['replicas'], '"replicas" is set on a job; a job runs once, in one process');
      }
      if (type === 'job' && m['container-port'] != null) {
        add(
          ['container-port'],
          '"container-port" is set on a job; only a service or a deployment listens on a port',
        );
      }
      for (const resource of ['cpu', 'memory']) {
        const request = m[`${resource}-request`];
        const limit = m[`${resource}-limit`];
        if (typeof request !== 'string' || typeof limit !== 'string') continue;
        if (quantityValue(request) > quantityValue(limit)) {
          add(
            [`${resource}-request`],
            `"${resource}-request" is "${request}", more than "${resource}-limit" "${limit}"; expected a request at most its limit`,
          );
        }
      }
      if (Array.isArray(m.env)) {
        const seen = new Set<string>();
        m.env.forEach((entry: unknown, i) => {
          const name = (entry as { name?: unknown } | null)?.name;
          if (typeof name !== 'string') return;
          if (seen.has(name)) {
            add(
              ['env', i, 'name'],
              `"env[${i}].name" is "${name}" again; expected each variable once`,
            );
          }
          seen.add(name);
        });
      }
    },
    {
      when: (payload) =>
        typeof payload.value === 'object' &&
        payload.value !== null &&
        !Array.isArray(payload.value),
    },
  );

/**
 * Validates a `manifest.json` and returns it typed, or every problem (not only the first), each
 * with its file, JSON path, line and column, in the order of the file.
 *
 * @example
 * const parsed = parseTaskManifest(text, 'tasks/hello/manifest.json');
 * if (!parsed.ok) console.log(parsed.problems.map(formatProblem).join('\n'));
 * // tasks/hello/manifest.json:3:11 "type" is "cronjob"; expected one of job, deployment, service
 */
export function parseTaskManifest(
  text: string,
  file: string,
): { ok: true; manifest: TaskManifest } | { ok: false; problems: Problem[] } {
  const json = parseJsonSource(text, file);
  if (!json.ok) return json;
  const parsed = taskManifestSchema.safeParse(json.source.value, { reportInput: true });
  const problems = [
    ...duplicateKeyProblems(json.source),
    ...(parsed.success
      ? []
      : issuesToProblems(parsed.error.issues, json.source, {
          '': TASK_MANIFEST_KEYS,
          published: PUBLISHED_KEYS,
          'env[]': ['name', 'value'],
        })),
  ];
  if (!parsed.success || problems.length > 0)
    return { ok: false, problems: sortProblems(problems) };
  const m = parsed.data;
  const p = m.published;
  return {
    ok: true,
    manifest: {
      name: m.name,
      type: m.type,
      labels: m.labels ? parseLabels(m.labels) : {},
      imageDestination: m['image-destination'] || null,
      cmd: m.cmd ?? null,
      env: m.env ?? [],
      schedule: m.schedule?.trim() || null,
      replicas: m.replicas ?? null,
      containerPort: m['container-port'] ?? null,
      imagePullPolicy: m['image-pull-policy'] ?? null,
      cpuRequest: m['cpu-request'] ?? null,
      cpuLimit: m['cpu-limit'] ?? null,
      memoryRequest: m['memory-request'] ?? null,
      memoryLimit: m['memory-limit'] ?? null,
      published: p
        ? {
            ...(p.access != null ? { access: p.access } : {}),
            ...(p.prefix != null ? { prefix: p.prefix } : {}),
            ...(p.rewrite != null ? { rewrite: p.rewrite } : {}),
            ...(p.timeout_ms != null ? { timeoutMs: p.timeout_ms } : {}),
            ...(p.sticky_sessions != null ? { stickySessions: p.sticky_sessions } : {}),
            ...(p.bypass_auth != null ? { bypassAuth: p.bypass_auth } : {}),
          }
        : null,
    },
  };
}
