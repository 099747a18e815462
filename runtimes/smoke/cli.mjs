// Node, Bun and Deno run this file as installed: a mismatch is an uncaught rejection, which
// each of them turns into a non-zero exit.
import { mainChecks } from './main.mjs';
import { observabilityChecks } from './observability.mjs';
import { prometheusChecks } from './prometheus.mjs';
import { redisChecks } from './redis.mjs';
import { runChecks } from './run-checks.mjs';

console.log(await runChecks(mainChecks, prometheusChecks, observabilityChecks, redisChecks));
