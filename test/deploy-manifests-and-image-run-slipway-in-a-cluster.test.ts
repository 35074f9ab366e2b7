import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { ROOT } from './helpers/server.js';

const run = promisify(execFile);
const hasKubectl =
  spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error === undefined;

describe.skipIf(!hasKubectl)(
  "deploy/: Slipway's own manifests, applied with kubectl to the API test server",
  () => {
    let kube: KubeApiServer;
    let home: string;
    beforeAll(async () => {
      kube = await startKubeApiServer();
      home = mkdtempSync(path.join(os.tmpdir(), 'kubectl-home-'));
    });
    afterAll(async () => {
      await kube?.close();
    });

    it('applies every file, and the objects run Slipway as documented', async () => {
      const { stdout } = await run(
        'kubectl',
        [
          '--kubeconfig',
          kube.kubeconfigPath,
          'apply',
          '--server-side',
          '--validate=false',
          '-f',
          path.join(ROOT, 'deploy'),
        ],
        { env: { ...process.env, HOME: home } },
      );
      expect(stdout).toContain('deployment.apps/slipway serverside-applied');
      const [deployment] = kube.objects('deployments', 'slipway');
      expect(deployment?.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
      const pod = deployment?.spec.template.spec;
      expect(pod).toMatchObject({
        serviceAccountName: 'slipway',
        securityContext: { runAsNonRoot: true, runAsUser: 1000 },
        volumes: expect.arrayContaining([
          expect.objectContaining({ persistentVolumeClaim: { claimName: 'slipway-data' } }),
        ]),
      });
      const container = pod.containers[0];
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      const env = Object.fromEntries(
        container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
      );
      expect(env).toMatchObject({
        SLIPWAY_RUNTIME: 'kubernetes',
        SLIPWAY_DATA_DIR: '/data',
        HOST: '0.0.0.0',
      });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
        Number(env.SLIPWAY_SHUTDOWN_GRACE_SECONDS),
      );
      expect(kube.objects('persistentvolumeclaims', 'slipway').map((o) => o.metadata.name)).toEqual(
        ['slipway-data'],
      );
      expect(kube.objects('secrets', 'slipway').map((o) => o.metadata.name)).toEqual(['slipway']);
      expect(kube.objects('services', 'slipway')[0]?.spec.selector).toEqual(
        deployment?.spec.selector.matchLabels,
      );
      const binding = kube.objects('clusterrolebindings')[0];
      expect(binding?.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'slipway', namespace: 'slipway' },
      ]);
    });

    it('grants the runtime exactly the resources it touches, and never a wildcard', () => {
      const [role] = kube.objects('clusterroles');
      const rules = role?.rules as Array<{
        apiGroups: string[];
        resources: string[];
        verbs: string[];
      }>;
      const granted = rules.flatMap((r) => r.resources).sort();
      expect(granted).toEqual(
        [
          'cronjobs',
          'deployments',
          'horizontalpodautoscalers',
          'httproutes',
          'ingresses',
          'jobs',
          'namespaces',
          'pods',
          'pods/log',
          'replicasets',
          'services',
        ].sort(),
      );
      expect(JSON.stringify(rules)).not.toContain('*');
      const pods = rules.find((r) => r.resources.includes('pods'));
      expect(pods?.verbs).toEqual(['get', 'list', 'watch']);
      const autoscalers = rules.find((r) => r.resources.includes('horizontalpodautoscalers'));
      expect(autoscalers?.verbs).toEqual(['get', 'list', 'watch']);
      const replicaSets = rules.find((r) => r.resources.includes('replicasets'));
      expect(replicaSets?.verbs).toEqual(['get', 'list', 'watch']);
      // Every kind the runtime renders is one it may write.
      const rendered = ['render-objects.ts', 'kubernetes-runtime.ts']
        .map((file) => readFileSync(path.join(ROOT, 'core/runtime/kubernetes', file), 'utf8'))
        .join('\n');
      for (const kind of ['Job', 'CronJob', 'Deployment', 'Service', 'Ingress', 'HTTPRoute']) {
        expect(rendered).toContain(`kind: '${kind}'`);
        expect(granted).toContain(`${kind.toLowerCase()}${kind.endsWith('s') ? 'es' : 's'}`);
      }
    });
  },
);

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs as the unprivileged node user, without dev dependencies or tests', () => {
    expect(finalStage).toMatch(/\nUSER node\n/);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(finalStage).not.toMatch(/COPY \. /);
    expect(finalStage).not.toMatch(/COPY (test|bench|action)/);
    expect(finalStage).toContain('CMD ["node", "--import", "tsx", "app/main.ts"]');
    expect(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^node_modules$/m);
  });

  it('has every package the server imports among the production dependencies', () => {
    const files = ['app', 'core'].flatMap((dir) =>
      readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter(
          (e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.parentPath.includes(`${path.sep}cli`),
        )
        .map((e) => path.join(e.parentPath, e.name)),
    );
    const packages = new Set<string>();
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /^(?:import|export)\s(?!type\s)[^'"]*?from\s+'([^'.][^']*)'/gm,
      )) {
        const spec = match[1] as string;
        if (spec.startsWith('node:')) continue;
        packages.add(
          spec.startsWith('@')
            ? spec.split('/').slice(0, 2).join('/')
            : (spec.split('/')[0] as string),
        );
      }
    }
    packages.add('tsx');
    expect(packages.size).toBeGreaterThan(8);
    const missing = [...packages].filter((p) => !(p in pkg.dependencies));
    expect(missing).toEqual([]);
  });
});
