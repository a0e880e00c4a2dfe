/**
 * A fuzzing worker process: runs one range of documents and reports each document number before checking it, so
 * the parent can name the document that hangs (and kill the worker) or that exhausted memory.
 */
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

const job = JSON.parse(process.env.SMBWATCH_FUZZ_JOB!) as Job;
const send = (message: unknown): Promise<void> => new Promise((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));
const templates = loadTemplates(job.fixtures).filter((template) => template.format === job.format);
const stats = await fuzzRange({
  ...job,
  templates,
  onDocument: (number, bytes) => void send({ type: 'document', number, bytes }),
});
await send({ type: 'done', stats });
process.exit(0); // whatever the engine still holds is the parent's no more
