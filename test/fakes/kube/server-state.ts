import type { FaultInjector } from './fault-injector.js';
import type { ObjectStore } from './object-store.js';
import type { PodLogBook } from './pod-log-book.js';

/** What the request handlers of one test server share. */
export interface ServerState {
  store: ObjectStore;
  faults: FaultInjector;
  logs: PodLogBook;
  /** Closers of open watch and log streams, ended when the server closes. */
  streams: Set<() => void>;
}
