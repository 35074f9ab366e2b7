import { once } from 'node:events';
import { text } from 'node:stream/consumers';
import { runCli } from './cli/run-cli.js';

// Ctrl-C: the command says what goes on on the server, then exits 130; a second one kills it.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
// The reader went away (`slipway jobs logs --id X | head -1`): it has what it wanted, so stop
// quietly, as other command-line tools do, rather than with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/** `slipway`: the command-line client of the REST API (see `slipway --help`). */
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdoutIsTerminal: process.stdout.isTTY === true,
  stdout: (chunk) => process.stdout.write(chunk),
  drained: () =>
    process.stdout.writableNeedDrain
      ? once(process.stdout, 'drain').then(() => {})
      : Promise.resolve(),
  stderr: (chunk) => process.stderr.write(chunk),
  readStdin: () => text(process.stdin),
  interrupted: interrupt.signal,
});
// Interrupted while something still holds the event loop (standard input being read): go now.
if (interrupt.signal.aborted) process.exit();
