import { isPlainObject } from './kube-object.js';

/**
 * How a container of the test server behaves, read from its env, so tests decide outcomes:
 * - `KUBE_FAKE_EXIT_CODE`: the exit code when it ends (default 0);
 * - `KUBE_FAKE_DURATION_MS`: how long it runs (default: a Job's pod runs `jobDurationMs`, other
 *   pods run until deleted);
 * - `KUBE_FAKE_LOGS`: its log lines, separated by newlines (or the two characters `\n`), written
 *   when it starts running;
 * - `KUBE_FAKE_READY=false`: never Ready (a failing readiness probe);
 * - `KUBE_FAKE_CRASH=true`: exits with code 1 shortly after each start and is restarted with
 *   back-off (CrashLoopBackOff);
 * - `KUBE_FAKE_PULL=fail`: its image cannot be pulled, so it never starts (ErrImagePull, then
 *   ImagePullBackOff; the pod stays Pending).
 */
export interface FakeBehaviour {
  exitCode: number;
  durationMs?: number;
  logs: string[];
  neverReady: boolean;
  crash: boolean;
  pullFails: boolean;
}

export function fakeBehaviour(container: unknown): FakeBehaviour {
  const env = new Map<string, string>();
  const list = isPlainObject(container) && Array.isArray(container.env) ? container.env : [];
  for (const entry of list) {
    if (isPlainObject(entry) && typeof entry.name === 'string' && typeof entry.value === 'string')
      env.set(entry.name, entry.value);
  }
  const behaviour: FakeBehaviour = {
    exitCode: Number.parseInt(env.get('KUBE_FAKE_EXIT_CODE') ?? '0', 10) || 0,
    logs: (env.get('KUBE_FAKE_LOGS') ?? '')
      .split(/\r?\n|\\n/)
      .filter((line, i, all) => line !== '' || i < all.length - 1),
    neverReady: env.get('KUBE_FAKE_READY') === 'false',
    crash: env.get('KUBE_FAKE_CRASH') === 'true',
    pullFails: env.get('KUBE_FAKE_PULL') === 'fail',
  };
  if (!env.get('KUBE_FAKE_LOGS')) behaviour.logs = [];
  const duration = env.get('KUBE_FAKE_DURATION_MS');
  if (duration !== undefined && duration !== '' && Number.isFinite(Number(duration)))
    behaviour.durationMs = Math.max(0, Number(duration));
  return behaviour;
}
