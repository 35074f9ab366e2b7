import type { RouteSpec } from './route-spec.js';
import { dashboardRoutes } from './routes-dashboard.js';
import { DATATASK_PREFIX, dataTaskRoutes } from './routes-datatask.js';
import { gitHubRoutes } from './routes-github.js';
import { matatikaRoutes } from './routes-matatika.js';
import { metaRoutes } from './routes-meta.js';
import { metaKraftwerkRoutes } from './routes-metakraftwerk.js';
import { nullplatformRoutes } from './routes-nullplatform.js';
import { tokenRoutes } from './routes-tokens.js';

/** The tags, in the order the reference shows them. */
export const TAGS = [
  {
    name: 'Matatika',
    description:
      'Workspaces, deployments as queued jobs with HAL links, logs (seed 000). Errors: Spring `{timestamp, status, error, message, path}`.',
  },
  {
    name: 'DataTask',
    description:
      'Tasks (manifest.json) and pipelines (pipeline.json) from a repository directory; lists, deletes, templates (seed 001). Errors: `{status, error, message, problems?}`.',
  },
  {
    name: `DataTask (${DATATASK_PREFIX})`,
    description: `The same DataTask routes under ${DATATASK_PREFIX}, the prefix its clients use from outside the cluster.`,
  },
  {
    name: 'MetaKraftwerk',
    description:
      'Patterns and deployment definitions, read-only (seed 002). Errors: Feathers `{name, message, code, className, data?}`.',
  },
  {
    name: 'nullplatform',
    description:
      'Applications, builds, releases, scopes and blue-green deployments (seed 003). Errors: `{message}`.',
  },
  { name: 'API tokens', description: 'API tokens, managed with the admin token.' },
  { name: 'GitHub App', description: "The GitHub App's webhook (DESIGN.md section 8)." },
  { name: 'Server', description: 'Liveness, readiness, metrics and this reference.' },
  { name: 'Dashboard', description: 'The read-only web dashboard.' },
];

/** Every route the server registers, as the route table of each surface lists it. */
export function allRoutes(): RouteSpec[] {
  return [
    ...matatikaRoutes,
    ...dataTaskRoutes(),
    ...metaKraftwerkRoutes(),
    ...nullplatformRoutes(),
    ...tokenRoutes,
    ...gitHubRoutes,
    ...metaRoutes,
    ...dashboardRoutes,
  ];
}
