// A workerd module worker, bundled by esbuild: each request runs the checks and answers with the
// summary (200) or the first mismatch (500). Checks run in the handler, not at load: workerd
// forbids timers and I/O in a worker's global scope.
import { mainChecks } from './main.mjs';
import { observabilityChecks } from './observability.mjs';
import { prometheusChecks } from './prometheus.mjs';
import { redisChecks } from './redis.mjs';
import { runChecks } from './run-checks.mjs';

export default {
  async fetch() {
    try {
      return new Response(await runChecks(mainChecks, prometheusChecks, observabilityChecks, redisChecks));
    } catch (error) {
      return new Response(String(error?.stack ?? error), { status: 500 });
    }
  },
};
