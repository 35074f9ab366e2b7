import type { ServerResponse } from 'node:http';
import { queryFlag, queryInt } from './http-io.js';
import { kubeTimeNano, pathValue } from './kube-object.js';
import type { ApiRoute } from './parse-api-path.js';
import type { LogLine } from './pod-log-book.js';
import type { ServerState } from './server-state.js';
import { badRequest, notFound } from './status-error.js';

function containerNames(pod: unknown): string[] {
  const containers = pathValue(pod, 'spec', 'containers');
  return (Array.isArray(containers) ? containers : []).map((c) => String(pathValue(c, 'name')));
}

function waitingReason(pod: unknown, container: string): string {
  const statuses = pathValue(pod, 'status', 'containerStatuses');
  const status = (Array.isArray(statuses) ? statuses : []).find(
    (s) => pathValue(s, 'name') === container,
  );
  return String(pathValue(status, 'state', 'waiting', 'reason') ?? 'ContainerCreating');
}

/**
 * `GET .../pods/{name}/log`: plain text as a kubelet serves it, with `container`, `previous`,
 * `tailLines`, `limitBytes`, `sinceSeconds`, `timestamps` (RFC 3339 prefix) and `follow`
 * (streams until the container's run ends or the pod is deleted).
 */
export function servePodLog(
  state: ServerState,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
): void {
  const name = route.name ?? '';
  const pod = state.store.get('pods', route.namespace, name);
  if (!pod) throw notFound(route.resource, name);
  const names = containerNames(pod);
  let container = params.get('container') ?? '';
  if (!container) {
    if (names.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0] as string;
  }
  if (!names.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  const previous = queryFlag(params, 'previous');
  const uid = pod.metadata.uid ?? '';
  const run = state.logs.run(uid, container, previous);
  if (!run) {
    if (previous)
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    throw badRequest(
      `container "${container}" in pod "${name}" is waiting to start: ${waitingReason(pod, container)}`,
    );
  }
  const timestamps = queryFlag(params, 'timestamps');
  const tailLines = queryInt(params, 'tailLines');
  const sinceSeconds = queryInt(params, 'sinceSeconds');
  const sinceTime = params.get('sinceTime');
  let limitBytes = queryInt(params, 'limitBytes') ?? Number.POSITIVE_INFINITY;
  const since =
    sinceSeconds !== undefined
      ? Date.now() - sinceSeconds * 1000
      : sinceTime
        ? Date.parse(sinceTime)
        : undefined;
  const render = (line: LogLine) =>
    `${timestamps ? `${kubeTimeNano(line.time)} ` : ''}${line.text}\n`;

  let lines = run.lines.filter((l) => since === undefined || l.time.getTime() >= since);
  if (tailLines !== undefined) lines = tailLines <= 0 ? [] : lines.slice(-tailLines);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  // As the apiserver does: the answer starts at once, before the container writes anything.
  res.flushHeaders();
  let open = true;
  const write = (text: string) => {
    if (!open || limitBytes <= 0) return;
    const chunk = Buffer.from(text).subarray(0, limitBytes);
    limitBytes -= chunk.length;
    res.write(chunk);
  };
  for (const line of lines) write(render(line));
  if (!queryFlag(params, 'follow') || run.ended || previous) {
    res.end();
    return;
  }
  let unfollow = () => {};
  const finish = () => {
    if (!open) return;
    open = false;
    unfollow();
    state.streams.delete(finish);
    res.end();
  };
  state.streams.add(finish);
  unfollow = state.logs.follow(uid, container, {
    line: (line) => write(render(line)),
    end: finish,
  });
  res.on('close', finish);
}
