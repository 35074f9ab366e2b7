export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export {
  type FollowOptions,
  followJob,
  type JobSource,
  type JobView,
  type LogSink,
  readLogs,
} from './follow-job.js';
export { JobLog } from './job-log.js';
export { type JobChangeListener, observeJobChanges } from './observe-job-changes.js';
export { type OutageOptions, OutageWatch, tellOutages } from './outage-watch.js';
export {
  DEFAULT_MAX_ATTEMPTS,
  type EnqueueRequest,
  type EnqueueResult,
  JobQueue,
} from './queue.js';
export { notJsonMessage, type RestAnswer, restJobSource } from './rest-job-source.js';
export {
  type JobContext,
  type JobEnd,
  type JobHandler,
  type JobHandlerEntry,
  type JobOutcome,
  WorkerPool,
  type WorkerPoolOptions,
} from './worker-pool.js';
