import { circuit, defaultRegistry } from 'circuitry';
import type { CircuitRegistry } from 'circuitry';

export interface Job<T> {
  /** The name of the circuit guarding the service this job calls: jobs carry names, not breakers. */
  readonly dependency: string;
  readonly run: () => Promise<T>;
}

/**
 * Runs jobs at most `concurrency` at a time, each through the breaker registered under its
 * dependency's name. Every job for a service shares that one breaker, so a dead service opens
 * one circuit for the whole pool; its jobs then fail fast and free their slots for the others.
 */
export class JobPool {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    private readonly registry: CircuitRegistry = defaultRegistry,
  ) {}

  async run<T>(job: Job<T>): Promise<T> {
    const breaker = this.registry.get(job.dependency);
    if (breaker === undefined) throw new Error(`no circuit is registered for "${job.dependency}"`);
    await this.#slot();
    try {
      return await circuit(job.run, breaker)();
    } finally {
      this.#release();
    }
  }

  #slot(): Promise<void> | void {
    if (this.#running < this.concurrency) {
      this.#running += 1;
      return;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  // A finished job hands its slot straight to the next in line, so none can overtake the queue.
  #release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#running -= 1;
    else next();
  }
}
