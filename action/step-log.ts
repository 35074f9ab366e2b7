import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import type { LogSink } from '../core/jobs/follow-job.js';

/** The step log as a sink for job logs; `close` before the step writes any command of its own. */
export interface StepLog extends LogSink {
  close(): void;
}

/**
 * The step log for lines the Action does not write itself (a task's output, the server's
 * messages): the runner reads a line starting `::` as a workflow command (`::add-mask::`,
 * `::error::`, `::stop-commands::`...), so the lines are printed inside a `::stop-commands::`
 * block whose resume token is random and new for each block, and a task cannot guess it. Groups
 * are workflow commands too: each group opens and closes outside any block.
 *
 * @example
 * const log = stepLog(); log.info('::error::shown as text'); log.close(); core.setFailed('...');
 */
export function stepLog(write: (line: string) => void = (line) => core.info(line)): StepLog {
  let token: string | undefined;
  const resume = () => {
    if (token === undefined) return;
    write(`::${token}::`);
    token = undefined;
  };
  return {
    info(line) {
      if (token === undefined) {
        token = randomUUID();
        write(`::stop-commands::${token}`);
      }
      write(line);
    },
    startGroup(name) {
      resume();
      core.startGroup(name);
    },
    endGroup() {
      resume();
      core.endGroup();
    },
    close: resume,
  };
}
