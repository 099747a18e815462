// The page's entry, bundled by esbuild: the runner calls globalThis.circuitrySmoke().
import { mainChecks } from './main.mjs';
import { observabilityChecks } from './observability.mjs';
import { prometheusChecks } from './prometheus.mjs';
import { redisChecks } from './redis.mjs';
import { runChecks } from './run-checks.mjs';

globalThis.circuitrySmoke = () => runChecks(mainChecks, prometheusChecks, observabilityChecks, redisChecks);
