import { type Context, Hono } from 'hono';
import type { Engine } from '../../core/engine.js';
import { SlipwayError } from '../../core/errors.js';
import type { PatternCatalog, TemplateLibrary } from '../../core/patterns/index.js';
import type { PipelineRunRecord } from '../../core/pipelines/index.js';
import type { WorkloadKind } from '../../core/runtime/types.js';
import { isGitHubName, isRepositoryName, redact } from '../../core/source/index.js';
import type { Logger } from '../../core/types.js';
import { type AuthVariables, identityOf } from './auth.js';
import {
  bodies,
  DEFAULT_BRANCH,
  pathName,
  readBody,
  readFields,
  refuseQueryFields,
  requireCaller,
} from './datatask-fields.js';
import { type HttpFailure, reasonPhrase, toHttpFailure } from './errors.js';

export interface DataTaskOptions {
  engine: Engine;
  templates: TemplateLibrary;
  catalog: PatternCatalog;
  logger: Logger;
}

type App = Hono<{ Variables: AuthVariables }>;
type Ctx = Context<{ Variables: AuthVariables }>;
/** A value read only when asked for: a route's path names and body, read once the caller is known. */
type Later<T> = () => T | Promise<T>;

/**
 * The DataTask surface (seed 001, DESIGN.md section 7.2): tasks and pipelines deployed from a
 * repository directory into namespaces, configuration loading, lists read from the runtime,
 * deletes and templates. Mounted at `/` and at `/apps/deploy-api`. Routes the seed marks
 * protected need an identity; its GET routes that change something also accept POST.
 */
export function createDataTaskApp(options: DataTaskOptions): App {
  const app: App = new Hono();
  headRefused.set(app, []);
  app.onError((error, c) => dataTaskError(c, toHttpFailure(error, options.logger, c)));
  taskRoutes(app, options);
  pipelineRoutes(app, options);
  listRoutes(app, options);
  deleteRoutes(app, options);
  return app;
}

/** DataTask's error body: `{status, error, message, problems?}`. */
function dataTaskError(c: Context, failure: HttpFailure, headers?: Record<string, string>) {
  return c.json(
    {
      status: failure.status,
      error: reasonPhrase(failure.status),
      message: failure.message,
      ...(failure.problems.length > 0 ? { problems: failure.problems } : {}),
    },
    failure.status,
    headers,
  );
}

const headRefused = new WeakMap<App, string[]>();

/**
 * The route paths of a DataTask app whose GET refuses HEAD (see `getOrPost`), relative to the
 * app: the server leaves HEAD out of their `Allow`.
 */
export function pathsRefusingHead(app: App): readonly string[] {
  return headRefused.get(app) ?? [];
}

/**
 * Registers a handler for GET and POST: the seed's GET routes that change something. Hono
 * answers HEAD with a route's GET handler; these refuse it (405), because link checkers,
 * monitors and proxies send HEAD trusting it to change nothing.
 */
function getOrPost(app: App, path: string, handler: (c: Ctx) => Promise<Response>): void {
  headRefused.get(app)?.push(path);
  app.on(['GET', 'POST'], path, async (c) => {
    if (c.req.method === 'POST') await refuseBodyFields(c);
    else if (c.req.method === 'GET' && hasQuery(c)) {
      await requireCaller(c);
      refuseQueryFields(c, PATH_ONLY);
    }
    if (c.req.method !== 'HEAD') return handler(c);
    const message = `HEAD is not allowed on ${c.req.path}: it deploys, runs, kills or deletes; use GET or POST`;
    return Promise.resolve(
      dataTaskError(c, { status: 405, message, problems: [] }, { Allow: 'GET, POST' }),
    );
  });
}

/** Where the seed's GET routes (and their POST forms) take their values from. */
const PATH_ONLY = 'none: the route takes its values from its path only';

const hasQuery = (c: Ctx) => c.req.url.includes('?');

/**
 * The POST form of a GET route takes everything from its path: a field in its body (`namespace`,
 * `schedule`) would otherwise be dropped without a word. Asked of a known caller only: a
 * stranger gets its 401 before the body is read.
 */
async function refuseBodyFields(c: Ctx): Promise<void> {
  await requireCaller(c);
  refuseQueryFields(c, PATH_ONLY);
  const keys = Object.keys(await readFields(c));
  if (keys.length === 0) return;
  const names = keys.map((key) => `"${key}"`).join(', ');
  throw new SlipwayError(
    'BAD_REQUEST',
    `${names} ${keys.length > 1 ? 'are' : 'is'} not taken by ${c.req.path}: it takes its values from its path only`,
    {
      problems: keys.map((key) => ({ path: key, message: `"${key}" is not taken by this route` })),
    },
  );
}

/**
 * An empty `configuration` (an HTML form's field left blank) is a mistake, not "none": it would
 * otherwise read as no configuration at all and deploy something else than was given.
 */
function refuseEmptyConfiguration(configuration: unknown, expected: string): void {
  if (typeof configuration === 'string' && configuration.trim() === '') {
    throw new SlipwayError(
      'BAD_REQUEST',
      `"configuration" is ${configuration === '' ? 'empty' : 'blank'}; expected ${expected}`,
      { problems: [{ path: 'configuration', message: `"configuration" is empty` }] },
    );
  }
}

/** What a DataTask `:repository` may be (DESIGN.md sections 2 and 8), for error messages. */
const REPOSITORY_FORMS = 'a repository name in SLIPWAY_REPOS_DIR, or owner/name on GitHub';

/**
 * A DataTask repository as the caller named it: a bare name (`<SLIPWAY_REPOS_DIR>/<name>`) or
 * `owner/name` (GitHub, with the App's installation token). Paths and URLs are refused: they
 * would let a caller read any directory of the server or make it connect to any host.
 *
 * @example
 * checkRepository('flows', ':repository')            // { name: 'flows', github: false }
 * checkRepository('acme/api', ':repository')         // { name: 'acme/api', github: true }
 * checkRepository('/tmp/x', ':repository')           // throws BAD_REQUEST
 */
function checkRepository(value: string, field: string): { name: string; github: boolean } {
  if (isRepositoryName(value)) return { name: value, github: false };
  if (isGitHubName(value)) return { name: value, github: true };
  throw new SlipwayError(
    'BAD_REQUEST',
    `${field} is "${redact(value)}"; expected ${REPOSITORY_FORMS} (not a path or URL)`,
  );
}

function repositoryParam(c: Ctx): { name: string; github: boolean } {
  return checkRepository(c.req.param('repository') ?? '', '":repository"');
}

function taskRoutes(app: App, { engine, templates, catalog }: DataTaskOptions): void {
  /** A pattern's task template and, given a definition, the namespace it delivers to. */
  const patternSource = async (templatePath: string, deployment: string | undefined) => {
    const template = await templates.read(templatePath, 'task');
    const pattern = await catalog.byName(template.path.replace(/\.json$/, ''));
    if (!pattern.valid) {
      throw new SlipwayError('BAD_REQUEST', `pattern '${pattern.name}' is invalid`, {
        problems: pattern.problems,
      });
    }
    const definition =
      deployment === undefined
        ? undefined
        : pattern.deployments.find((d) => d.name === deployment || String(d.id) === deployment);
    if (deployment !== undefined && !definition) {
      throw new SlipwayError(
        'NOT_FOUND',
        `pattern '${pattern.name}' has no deployment '${deployment}'`,
      );
    }
    if (definition && definition.definition.type !== 'KUBERNETES') {
      throw new SlipwayError(
        'BAD_REQUEST',
        `deployment '${definition.name}' of pattern '${pattern.name}' is a ${definition.type} definition; only KUBERNETES definitions deploy tasks`,
      );
    }
    return {
      configuration: template.content,
      namespace:
        definition?.definition.type === 'KUBERNETES' ? definition.definition.namespace : undefined,
      origin: {
        pattern: { id: pattern.id, name: pattern.name },
        deployment: definition ? { id: definition.id, name: definition.name } : null,
      },
    };
  };

  /**
   * Deploys the task at `:repository/:directory`. The caller is checked first: a stranger gets
   * 401 before its path or body is looked at (`overrides` runs only for a known caller).
   */
  const deploy = async (
    c: Ctx,
    overrides: Later<{ namespace?: string; name?: string; branch?: string; schedule?: string }>,
  ) => {
    const identity = await requireCaller(c);
    const repository = repositoryParam(c).name;
    const { namespace, name, branch, schedule } = await overrides();
    const { job, plan } = await engine.tasks.deploy({
      repository,
      directory: c.req.param('directory') ?? '.',
      branch: branch ?? DEFAULT_BRANCH,
      namespace: namespace ?? null,
      name: name ?? null,
      schedule: schedule ?? null,
      configuration: null,
      identity: identity.subject,
    });
    return c.json(
      {
        id: job.id,
        namespace: plan.namespace,
        name: plan.name,
        kind: plan.kind,
        status: 'pending',
      },
      202,
    );
  };

  /** Deploy a task: namespace = repository, name = the manifest's, branch = master. */
  getOrPost(app, '/v1/task/deploy/:repository/:directory', (c) => deploy(c, () => ({})));
  /** Deploy a task under a name. */
  getOrPost(app, '/v1/task/deployas/:repository/:directory/:name', (c) =>
    deploy(c, () => ({ name: pathName(c, 'name') })),
  );
  /** Deploy a task under a name in a namespace. */
  getOrPost(app, '/v1/task/deployinas/:repository/:directory/:namespace/:name', (c) =>
    deploy(c, () => ({
      namespace: pathName(c, 'namespace', 'a namespace'),
      name: pathName(c, 'name'),
    })),
  );
  /** The same, with `branch` and `schedule` (a cron job) in the body. */
  app.post('/v1/task/elaborate/deployinas/:repository/:directory/:namespace/:name', (c) =>
    deploy(c, async () => {
      const namespace = pathName(c, 'namespace', 'a namespace');
      const name = pathName(c, 'name');
      return { namespace, name, ...(await readBody(c, bodies.branchSchedule)) };
    }),
  );
  /** Deploy with `namespace`, `name`, `branch` and `schedule` in the body. */
  app.post('/v2/task/elaborate/deploy/:repository/:directory', (c) =>
    deploy(c, () => readBody(c, bodies.taskDeploy)),
  );
  /**
   * Deploy the manifest given as `configuration` into `namespace`; repository and directory
   * optional. Or deploy a pattern's template (`template_path`) to one of its KUBERNETES
   * deployment definitions (`deployment`, by name or id), which gives the namespace; the task
   * then records the pattern and definition it came from.
   */
  app.post('/v2/task/deploy/with-configuration', async (c) => {
    const identity = await requireCaller(c);
    const body = await readBody(c, bodies.taskWithConfiguration);
    if (body.deployment !== undefined && !body.template_path) {
      // A definition belongs to the pattern of a template: alone it names nothing to deploy.
      throw new SlipwayError(
        'BAD_REQUEST',
        `"deployment" is "${body.deployment}" without a "template_path"; expected the pattern's template_path with it, or neither`,
      );
    }
    const fromPattern = body.template_path
      ? await patternSource(body.template_path, body.deployment)
      : null;
    if (fromPattern && body.configuration !== undefined) {
      throw new SlipwayError('BAD_REQUEST', 'give "configuration" or "template_path", not both');
    }
    if (fromPattern?.namespace && body.namespace && body.namespace !== fromPattern.namespace) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `"namespace" is "${body.namespace}", but deployment '${body.deployment}' delivers into "${fromPattern.namespace}"; expected one of the two: the definition, or "namespace" without "deployment"`,
      );
    }
    const configuration = fromPattern?.configuration ?? body.configuration;
    const namespace = body.namespace ?? fromPattern?.namespace;
    if (configuration === undefined) {
      throw new SlipwayError(
        'BAD_REQUEST',
        '"configuration" is missing; expected the manifest.json to deploy',
      );
    }
    refuseEmptyConfiguration(configuration, 'the manifest.json to deploy');
    if (!namespace)
      throw new SlipwayError(
        'BAD_REQUEST',
        '"namespace" is missing; expected the namespace to deploy into',
      );
    // The directory and the branch say where in a repository the task's code is taken from:
    // alone they name nothing, and dropping them would run the task without the code meant.
    if (body.directory && !body.repository) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `"directory" is "${body.directory}" without a "repository"; expected both (the code to run), or neither`,
      );
    }
    if (body.branch !== undefined && !body.repository) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `"branch" is "${body.branch}" without a "repository"; expected a repository to take the branch of, or no branch`,
      );
    }
    const { job, plan } = await engine.tasks.deploy({
      repository: body.repository ? checkRepository(body.repository, '"repository"').name : null,
      directory: body.directory || null,
      branch: body.branch ?? DEFAULT_BRANCH,
      namespace,
      name: body.name ?? null,
      schedule: null,
      configuration,
      identity: identity.subject,
      origin: fromPattern?.origin ?? null,
    });
    return c.json(
      {
        id: job.id,
        namespace: plan.namespace,
        name: plan.name,
        kind: plan.kind,
        status: 'pending',
      },
      202,
    );
  });
  /** Where a deployed task stands: pending, running, succeeded, failed or unknown. */
  app.get('/v1/task/state/:id', async (c) => c.json(await engine.tasks.state(c.req.param('id'))));

  for (const unit of ['task', 'pipeline'] as const) {
    /**
     * Load a manifest.json (pipeline.json) from git: `{work_id}` to poll. Open to anyone for a
     * repository of SLIPWAY_REPOS_DIR (as the seed has it); `owner/name` is fetched with the
     * App's installation token, which may reach private repositories, so it needs an identity.
     */
    app.post(`/v2/${unit}/load/configuration/from-git/:repository/:directory`, async (c) => {
      const repository = repositoryParam(c);
      const identity = await identityOf(c);
      if (repository.github && !identity) {
        throw new SlipwayError(
          'UNAUTHENTICATED',
          `repository "${repository.name}" is fetched from GitHub with the App's installation token; pass your identity (a JWT in the authtoken cookie, an Identity header or a bearer token) to load from it`,
        );
      }
      const body = await readBody(c, bodies.branch);
      const job = engine.tasks.loadConfiguration(
        {
          unit,
          repository: repository.name,
          directory: c.req.param('directory') ?? '.',
          branch: body.branch ?? DEFAULT_BRANCH,
        },
        identity?.subject ?? null,
      );
      return c.json({ work_id: job.id }, 202);
    });
    /** pending, running, done (with the configuration) or error (with why). */
    app.get(`/v2/${unit}/get/configuration-loading-state/:work_id`, (c) =>
      c.json(engine.tasks.configurationState(c.req.param('work_id'), unit)),
    );
    /** The template file `template_path` of SLIPWAY_TEMPLATES_DIR. */
    app.post(`/v2/${unit}/get/template`, async (c) => {
      const body = await readBody(c, bodies.template);
      const template = await templates.read(body.template_path, unit);
      return c.json(template.content);
    });
    /** The file names of the task (pipeline) templates. */
    app.get(`/v2/${unit}/list/templates`, async (c) =>
      c.json({ templates: await templates.list(unit) }),
    );
  }
}

function pipelineRoutes(app: App, { engine }: DataTaskOptions): void {
  /** Runs the pipeline at `:repository/:directory`; like `deploy`, the caller is checked first. */
  const run = async (
    c: Ctx,
    overrides: Later<{ namespace?: string; name?: string; branch?: string }>,
  ) => {
    const identity = await requireCaller(c);
    const repository = repositoryParam(c).name;
    const { namespace, name, branch } = await overrides();
    const { job, record } = await engine.pipelines.run({
      repository,
      directory: c.req.param('directory') ?? '.',
      branch: branch ?? DEFAULT_BRANCH,
      namespace: namespace ?? null,
      name: name ?? null,
      configuration: null,
      identity: identity.subject,
    });
    return c.json(pipelineJson({ ...record, id: job.id }), 202);
  };
  /** Run a pipeline under a name: namespace = repository, branch = master. */
  getOrPost(app, '/v1/pipeline/runas/:repository/:directory/:name', (c) =>
    run(c, () => ({ name: pathName(c, 'name') })),
  );
  /** Run a pipeline under a name in a namespace. */
  getOrPost(app, '/v1/pipeline/runinas/:repository/:directory/:namespace/:name', (c) =>
    run(c, () => ({
      namespace: pathName(c, 'namespace', 'a namespace'),
      name: pathName(c, 'name'),
    })),
  );
  /** The same, with `branch` in the body. */
  app.post('/v1/pipeline/elaborate/runinas/:repository/:directory/:namespace/:name', (c) =>
    run(c, async () => {
      const namespace = pathName(c, 'namespace', 'a namespace');
      const name = pathName(c, 'name');
      return { namespace, name, ...(await readBody(c, bodies.branch)) };
    }),
  );
  /** Run with `namespace` and `branch` in the body. */
  app.post('/v2/pipeline/elaborate/run/:repository/:directory/:name', (c) =>
    run(c, async () => {
      const name = pathName(c, 'name');
      return { name, ...(await readBody(c, bodies.pipelineRun)) };
    }),
  );
  /** Run the pipeline.json given as `configuration` in `namespace`. */
  app.post('/v2/pipeline/run/with-configuration', async (c) => {
    const identity = await requireCaller(c);
    const body = await readBody(c, bodies.pipelineWithConfiguration);
    if (body.configuration === undefined)
      throw new SlipwayError(
        'BAD_REQUEST',
        '"configuration" is missing; expected the pipeline.json to run',
      );
    refuseEmptyConfiguration(body.configuration, 'the pipeline.json to run');
    if (!body.namespace)
      throw new SlipwayError(
        'BAD_REQUEST',
        '"namespace" is missing; expected the namespace to run in',
      );
    const { job, record } = await engine.pipelines.run({
      repository: null,
      directory: null,
      branch: body.branch ?? DEFAULT_BRANCH,
      namespace: body.namespace,
      name: body.name ?? null,
      configuration: body.configuration,
      identity: identity.subject,
    });
    return c.json(pipelineJson({ ...record, id: job.id }), 202);
  });
  /** A run with the status and times of each task. */
  app.get('/v1/pipeline/state/:namespace/:id', (c) =>
    c.json(pipelineJson(engine.pipelines.state(c.req.param('namespace'), c.req.param('id')))),
  );
  /** Kill a run: its running tasks are stopped; status `killed`. */
  getOrPost(app, '/v1/pipeline/kill/:id', async (c) => {
    const identity = await requireCaller(c);
    return c.json(
      pipelineJson(await engine.pipelines.kill(c.req.param('id') ?? '', identity.subject)),
    );
  });
}

function listRoutes(app: App, { engine }: DataTaskOptions): void {
  /** Namespaces Slipway created (read from the runtime). */
  app.get('/v1/list/namespaces', async (c) =>
    c.json({ namespaces: await engine.runtime.listNamespaces() }),
  );

  const tasks = async (c: Ctx, namespace?: string) => {
    const workloads = await engine.runtime.list(namespace ? { namespace } : {});
    const of = (...kinds: WorkloadKind[]) =>
      workloads
        .filter((w) => kinds.includes(w.kind))
        .map((w) => ({
          name: w.name,
          namespace: w.namespace,
          labels: w.labels,
          created: w.created,
          ...(w.kind === 'cronjob' ? { schedule: w.schedule } : {}),
          ...(w.kind === 'deployment' || w.kind === 'service' ? { replicas: w.replicas } : {}),
        }));
    return c.json({
      jobs: of('job'),
      cronJobs: of('cronjob'),
      // A service task is a Deployment plus a Service, so it is under both, as a listing of the
      // cluster shows it (seed 001 deletes "a service and its deployment").
      deployments: of('deployment', 'service'),
      services: of('service'),
    });
  };
  /** Jobs, cron jobs, deployments and services of every namespace. */
  app.get('/v1/list/tasks', (c) => tasks(c));
  app.get('/v1/list/tasks/:namespace', (c) => tasks(c, c.req.param('namespace')));

  const pods = async (c: Ctx, namespace?: string) =>
    c.json({ pods: await engine.runtime.pods(namespace) });
  /** Pods (processes on the local runtime) of every namespace, or one. */
  app.get('/v1/list/pods', (c) => pods(c));
  app.get('/v1/list/pods/:namespace', (c) => pods(c, c.req.param('namespace')));

  /** Pipeline runs of every namespace, or one. */
  app.get('/v1/list/pipelines', (c) =>
    c.json({ pipelines: engine.pipelines.list().map(pipelineJson) }),
  );
  app.get('/v1/list/pipelines/:namespace', (c) =>
    c.json({ pipelines: engine.pipelines.list(c.req.param('namespace')).map(pipelineJson) }),
  );
}

function deleteRoutes(app: App, { engine }: DataTaskOptions): void {
  const kinds = {
    job: 'job',
    cronjob: 'cronjob',
    deployment: 'deployment',
    service: 'service',
  } as const;
  for (const [segment, kind] of Object.entries(kinds)) {
    /**
     * Delete a task of that kind in a namespace (and its record); 404 naming it when missing.
     * The deployment of a service task deletes the service, and says so (`kind: "service"`).
     */
    getOrPost(app, `/v1/delete/${segment}/:namespace/:name`, async (c) => {
      await requireCaller(c);
      const namespace = c.req.param('namespace') ?? '';
      const name = c.req.param('name') ?? '';
      const deleted = await engine.tasks.delete(kind, namespace, name);
      return c.json({ deleted: { kind: deleted, namespace, name } });
    });
  }
}

/** A pipeline run as DataTask reports it. */
function pipelineJson(record: PipelineRunRecord) {
  return {
    id: record.id,
    name: record.name,
    pipeline: record.pipeline,
    namespace: record.namespace,
    status: record.status,
    created: record.created,
    ...(record.startTime ? { startTime: record.startTime } : {}),
    ...(record.endTime ? { endTime: record.endTime } : {}),
    tasks: record.tasks.map((t) => ({
      name: t.name,
      status: t.status,
      dependance: t.dependance,
      ...(t.startTime ? { startTime: t.startTime } : {}),
      ...(t.endTime ? { endTime: t.endTime } : {}),
      ...(t.message ? { message: t.message } : {}),
    })),
  };
}
