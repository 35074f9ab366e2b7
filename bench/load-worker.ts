import { parentPort, workerData } from 'node:worker_threads';
import { driveHere, type Load } from './measure.js';

// A load run in a thread of its own (see `drive` in measure.ts); its result is the message.
parentPort?.postMessage('started');
parentPort?.postMessage(await driveHere(workerData as Load));
