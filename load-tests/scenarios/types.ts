import type { Progress } from '../support/progress.js';

/** A scenario runs its floors and the services, and returns what to print and whether nothing was lost. */
export type Scenario = {
  title: string;
  /** One line for the usage text. */
  summary: string;
  run(progress: Progress): Promise<{ body: string; ok: boolean }>;
};
