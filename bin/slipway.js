#!/usr/bin/env node
// The `slipway` command: runs app/cli.ts from source through tsx, as `npm start` runs the server.
import { register } from 'tsx/esm/api';

register();
await import('../app/cli.ts');
