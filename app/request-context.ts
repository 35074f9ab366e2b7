import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while serving one request carries. */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `context` attached to everything it does, awaited work included. */
export function withRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** pino's `mixin`: the current request's id on each line logged while serving it. */
export function requestContextMixin(): Partial<RequestContext> {
  return storage.getStore() ?? {};
}
