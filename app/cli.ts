import { text } from 'node:stream/consumers';
import { runCli } from './cli/run-cli.js';

/** `slipway`: the command-line client of the REST API (see `slipway --help`). */
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdoutIsTerminal: process.stdout.isTTY === true,
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
  readStdin: () => text(process.stdin),
});
