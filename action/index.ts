import * as core from '@actions/core';
import { post, run } from './run.js';

// The main step saves `main-ran`; the runner hands saved state to the post step.
await (core.getState('main-ran') === 'true' ? post() : run());
// Done: nothing left open (a keep-alive connection, a stream a server never answered) may hold
// the step.
process.exit();
