// `npm run demo`: the offer service story with real time and a short recovery timeout.
import { runStory } from './story.js';

const started = Date.now();
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(7);

console.log('circuitry demo: an offer service guarding its partner with a circuit (failureThreshold 3, recoveryTimeout 1500 ms)\n');
await runStory({
  recoveryTimeout: 1500,
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  onStateChange: (from, to) => console.log(`${stamp()}   ** circuit ${from} -> ${to}`),
  onStep: (step) => {
    const got = step.offer ? `-> ${step.offer.offer.padEnd(20)} (${step.offer.source})` : '';
    console.log(`${stamp()}  ${step.event.padEnd(52)} ${got}`);
    console.log(`${' '.repeat(9)}circuit ${step.state}, failures in a row ${step.consecutiveFailures}, partner requests so far ${step.partnerRequests}`);
  },
});
console.log('\nDone: the partner saw no calls while the circuit was open, and one trial call closed it again.');
