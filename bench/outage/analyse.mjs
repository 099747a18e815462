// Figures of one run, from what the generator, the services and the upstream recorded. Pure: no I/O.
export const quantile = (sorted, q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
const round = (x) => (x === null || x === undefined ? x : Math.round(x * 100) / 100);

/** Latency and answers of the requests due in [from, to). */
function window(requests, from, to) {
  const inside = requests.filter((r) => r.at >= from && r.at < to);
  const latencies = inside.map((r) => r.latency).sort((a, b) => a - b);
  const seconds = (to - from) / 1_000;
  const ok = inside.filter((r) => r.status === 200).length;
  return {
    seconds: round(seconds),
    requests: inside.length,
    throughput: round(ok / seconds), // answered requests per second
    upstreamAnswers: round(inside.filter((r) => r.source === 1).length / seconds),
    p50: round(quantile(latencies, 0.5)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies.at(-1) ?? null),
    errors: inside.length - ok, // what the service's callers saw: a 5xx or no answer
  };
}

const countIn = (times, from, to) => times.filter((t) => t >= from && t < to).length;
const firstAfter = (events, state, from) => events.find((e) => e.state === state && e.at >= from)?.at ?? null;

/**
 * `start` is when the load began; the healthy phase before the outage is measured from
 * `start + warm`. The outage's bounds are the upstream's own switch times.
 */
export function analyse({ load, upstream, services, start, end, warm, recovery, bucket }) {
  const requests = load.due.map((due, i) => ({ at: start + due, latency: load.latency[i], status: load.status[i], source: load.source[i] }));
  const outageStart = upstream.switches.find((s) => s.mode !== 'healthy').at;
  const outageEnd = upstream.switches.findLast((s) => s.mode === 'healthy').at;
  const measuredFrom = start + warm;

  // A breaker that opened in the healthy phase (a deadline missed on a starved machine) may still
  // be open or half-open when the outage starts: its time to open is then not measured.
  const openAtOutageStart = services.map((s) => ['open', 'halfOpen'].includes(s.events.findLast((e) => e.at < outageStart)?.state));
  const healthyOpens = services.map((s) => s.events.filter((e) => e.state === 'open' && e.at >= measuredFrom && e.at < outageStart).length);
  const opens = services.map((s, i) => (openAtOutageStart[i] ? outageStart : firstAfter(s.events, 'open', outageStart)));
  const allOpen = opens.every((t) => t !== null && t < outageEnd) ? Math.max(...opens) : null;
  const closes = services.map((s, i) => (opens[i] === null ? null : firstAfter(s.events, 'close', outageEnd)));
  const attempts = services.flatMap((s) => s.attempts);

  // Full throughput: from the end of the last 250 ms slice after the return in which fewer than
  // 95 % of the answers came from the upstream (the rest being fallbacks or errors).
  let fullAt = 0;
  for (let from = outageEnd; from < end; from += 250) {
    const inside = requests.filter((r) => r.at >= from && r.at < from + 250);
    if (inside.length > 0 && inside.filter((r) => r.source === 1).length < 0.95 * inside.length) fullAt = from + 250 - outageEnd;
  }
  const recovered = fullAt < end - outageEnd - 250;

  const timeline = [];
  for (let from = measuredFrom; from < end; from += bucket) {
    const latencies = requests.filter((r) => r.at >= from && r.at < from + bucket).map((r) => r.latency).sort((a, b) => a - b);
    timeline.push({
      t: round((from - outageStart) / 1_000),
      p99: round(quantile(latencies, 0.99)),
      upstreamRate: round(countIn(attempts, from, from + bucket) / (bucket / 1_000)),
    });
  }

  return {
    before: window(requests, measuredFrom, outageStart),
    outage: window(requests, outageStart, outageEnd),
    // The outage once every process's circuit is open: what a breaker is for.
    open: allOpen === null ? null : window(requests, allOpen, outageEnd),
    after: window(requests, outageEnd, end),
    timeToOpen: opens.map((t, i) => (t === null || t >= outageEnd || openAtOutageStart[i] ? null : round(t - outageStart))),
    openAtOutageStart,
    healthyOpens,
    upstreamDuringOutage: countIn(attempts, outageStart, outageEnd),
    upstreamReceivedDuringOutage: countIn(upstream.received, outageStart, outageEnd),
    upstreamWhileOpen: allOpen === null ? null : countIn(attempts, allOpen, outageEnd),
    // What `halfOpenMaxCalls` (1) per recovery period allows in that time, in every process.
    trialsAllowed: allOpen === null ? null : services.length * Math.ceil((outageEnd - allOpen) / recovery),
    timeToClose: closes.map((t, i) => (opens[i] === null ? null : t === null ? -1 : round(t - outageEnd))),
    timeToFullThroughput: recovered ? fullAt : -1,
    callerErrors: requests.filter((r) => r.at >= measuredFrom && r.status !== 200).length,
    stateChanges: services.map((s) => s.events.filter((e) => e.at >= outageStart).length),
    timeline,
  };
}

/** The healthy ceiling: answers per second of a closed loop, after its first second. */
export function analyseCeiling({ load, start, end }) {
  const from = start + 1_000;
  const answered = load.due.filter((due, i) => start + due >= from && load.status[i] === 200).length;
  const latencies = load.latency.filter((_, i) => start + load.due[i] >= from).sort((a, b) => a - b);
  return { throughput: round(answered / ((end - from) / 1_000)), p99: round(quantile(latencies, 0.99)) };
}
