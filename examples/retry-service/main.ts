// `npm run example:retry`: a flaky upstream (2 of every 3 requests fail), a retrying route and a
// guarded one with a fallback message.
import { startRetryService } from './service.js';
import { startUpstream } from './upstream.js';

const upstream = await startUpstream(3);
const service = await startRetryService({ upstreamUrl: upstream.url, retryWait: 200, recoveryTimeout: 1_000 });
const get = async (path: string) => {
  const response = await fetch(`${service.url}${path}`);
  return `${response.status} ${await response.text()}`;
};
try {
  console.log('GET /quote/retry   ->', await get('/quote/retry'), `(upstream saw ${upstream.requests} requests)`);
  upstream.down = true;
  for (let i = 0; i < 3; i++) console.log('GET /quote/breaker ->', await get('/quote/breaker'), `circuit ${service.breaker.state}, upstream requests ${upstream.requests}`);
} finally {
  await service.close();
  await upstream.close();
}
