import * as core from '@actions/core';
import { post, run } from './run.js';

// The main step saves `main-ran`; the runner hands saved state to the post step.
await (core.getState('main-ran') === 'true' ? post() : run());
// Done: a pod log stream the Kubernetes client keeps open must not hold the step.
process.exit();
