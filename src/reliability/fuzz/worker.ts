/**
 * A fuzzing worker: runs one range of documents and reports each document number before checking it, so the
 * parent can name the document that hangs (and stop the worker) or that exhausted memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTemplates } from './corpus.js';
import { fuzzRange } from './runner.js';

interface Job {
  readonly fixtures: string;
  readonly format: string;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly unitsPerDocument: number;
  readonly ingestEvery: number;
  readonly findingsDir: string;
}

const job = workerData as Job;
const templates = loadTemplates(job.fixtures).filter((template) => template.format === job.format);
const stats = await fuzzRange({
  ...job,
  templates,
  onDocument: (number, bytes) => parentPort?.postMessage({ type: 'document', number, bytes }),
});
parentPort?.postMessage({ type: 'done', stats });
