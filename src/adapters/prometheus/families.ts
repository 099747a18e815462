import type { CircuitBreaker, CircuitState, CircuitStats } from 'circuitry';
import type { BreakerObservations } from '../watch/observations.js';
import { escapeLabelValue } from './escape.js';

/** One breaker as a scrape sees it: read once, then rendered by every family. */
export interface Row {
  readonly key: string;
  readonly breaker: CircuitBreaker;
  readonly stats: CircuitStats;
  readonly observed: BreakerObservations | undefined;
}

/** The labels a sample has besides the breaker's, as text and as an object (for prom-client). */
export interface Extra {
  readonly text: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Hands one sample to a renderer: its value, its other labels, and the name's suffix (`_bucket`...). */
type Put = (value: number, extra?: Extra, suffix?: string) => void;

/** One metric: its samples are written together, breaker after breaker, as the format requires. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'histogram' | 'summary';
  /** Label names after the breaker's own, for prom-client. */
  readonly labelNames: readonly string[];
  /** Whether the family needs what an exporter observed (transitions, store, durations). */
  readonly observed?: boolean;
  samples(row: Row, put: Put): void;
}

/** A naming scheme: the breaker's label and every family. */
export interface Naming {
  readonly circuitLabel: string;
  readonly families: readonly Family[];
}

function extra(labels: Record<string, string>): Extra {
  return { text: Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(','), labels };
}

const STATES: readonly CircuitState[] = ['closed', 'open', 'half-open', 'isolated', 'disabled'];

function histogramFamily(name: string, help: string, label: string, kinds: Readonly<Record<string, string>>): Family {
  const extras = new Map<string, { plain: Extra; buckets: Extra[] | undefined }>();
  const extrasOf = (outcome: string, bounds: readonly number[]) => {
    let found = extras.get(outcome);
    if (found === undefined || found.buckets?.length !== bounds.length + 1) {
      const plain = extra({ [label]: kinds[outcome]! });
      const buckets = [...bounds.map(String), '+Inf'].map((le) => extra({ [label]: kinds[outcome]!, le }));
      extras.set(outcome, (found = { plain, buckets }));
    }
    return found;
  };
  return {
    name,
    help,
    type: 'histogram',
    labelNames: [label],
    observed: true,
    samples: (row, put) => {
      const durations = row.observed?.durations;
      if (durations === undefined) return;
      for (const outcome of Object.keys(kinds)) {
        const histogram = durations[outcome as keyof typeof durations];
        if (histogram === undefined) continue;
        const { plain, buckets } = extrasOf(outcome, histogram.bounds);
        let cumulative = 0;
        for (let i = 0; i < histogram.bounds.length; i++) put((cumulative += histogram.counts[i]!), buckets![i], '_bucket');
        put(histogram.count, buckets![histogram.bounds.length], '_bucket');
        put(histogram.sum, plain, '_sum');
        put(histogram.count, plain, '_count');
      }
    },
  };
}

const rate = (part: number, calls: number) => (calls === 0 ? 0 : part / calls);

function transitionsFamily(name: string): Family {
  const extras = new Map<string, Extra>();
  return {
    name,
    help: 'Changes of state, by the state left and the state entered, counted since the exporter started.',
    type: 'counter',
    labelNames: ['from', 'to'],
    observed: true,
    samples: (row, put) => {
      for (const [from, byTo] of row.observed?.transitions ?? []) {
        for (const [to, count] of byTo) {
          const id = `${from}>${to}`;
          let found = extras.get(id);
          if (found === undefined) extras.set(id, (found = extra({ from, to })));
          put(count, found);
        }
      }
    },
  };
}

/** circuitry's own names, `prefix` first (default `circuitry_`), the breaker's key as `circuit`. */
export function circuitryNaming(prefix: string, durations: boolean): Naming {
  const stateExtras = STATES.map((state) => extra({ state }));
  const outcomes = (['success', 'failure', 'rejected', 'ignored', 'aborted'] as const).map((outcome) => extra({ outcome }));
  const families: Family[] = [
    {
      name: `${prefix}state`,
      help: 'Circuit state: 1 for the state the circuit is in, 0 for the others.',
      type: 'gauge',
      labelNames: ['state'],
      samples: ({ stats }, put) => {
        for (let i = 0; i < STATES.length; i++) put(STATES[i] === stats.state ? 1 : 0, stateExtras[i]);
      },
    },
    {
      name: `${prefix}calls_total`,
      help: 'Calls by outcome: success, failure (counted), rejected (not run), ignored (an error that does not count), aborted (cancelled by its caller).',
      type: 'counter',
      labelNames: ['outcome'],
      samples: ({ stats }, put) => {
        put(stats.successes, outcomes[0]);
        put(stats.failures, outcomes[1]);
        put(stats.rejections, outcomes[2]);
        put(stats.ignored, outcomes[3]);
        put(stats.aborted, outcomes[4]);
      },
    },
    { name: `${prefix}timeouts_total`, help: 'Counted failures whose error is named TimeoutError.', type: 'counter', labelNames: [], samples: ({ stats }, put) => put(stats.timeouts) },
    { name: `${prefix}fallbacks_total`, help: 'Calls served by a fallback.', type: 'counter', labelNames: [], samples: ({ stats }, put) => put(stats.fallbacks) },
    { name: `${prefix}consecutive_failures`, help: 'Counted failures in a row.', type: 'gauge', labelNames: [], samples: ({ stats }, put) => put(stats.consecutiveFailures) },
    {
      name: `${prefix}shadow`,
      help: 'Shadow mode: 1 while the breaker refuses nothing (its state is still judged), 0 otherwise.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => put(stats.shadow ? 1 : 0),
    },
    {
      name: `${prefix}window_failure_rate`,
      help: 'Counted failures among the calls the window policy holds, from 0 to 1 (0 while it holds none). Only breakers with a window policy.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => {
        if (stats.window !== undefined) put(rate(stats.window.failures, stats.window.calls));
      },
    },
    {
      name: `${prefix}window_slow_call_rate`,
      help: 'Slow calls among the calls the window policy holds, from 0 to 1 (0 while it holds none). Only breakers with a window policy.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => {
        if (stats.window !== undefined) put(rate(stats.window.slowCalls, stats.window.calls));
      },
    },
    {
      name: `${prefix}retry_after_seconds`,
      help: 'Seconds until a call may be admitted: 0 when one would be now, +Inf while isolated.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => put(stats.retryAfter / 1000),
    },
    {
      name: `${prefix}ramp_share`,
      help: 'Share of calls admitted now, above 0 and below 1, while a ramp brings traffic back after the circuit closed. Absent otherwise.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => {
        if (stats.rampShare !== undefined) put(stats.rampShare);
      },
    },
  ];
  families.push(
    transitionsFamily(`${prefix}transitions_total`),
    {
      name: `${prefix}store_up`,
      help: "1 while the breaker's shared store answers, 0 during an outage; absent until its first outage.",
      type: 'gauge',
      labelNames: [],
      observed: true,
      samples: ({ observed }, put) => {
        if (observed?.storeUp !== undefined) put(observed.storeUp);
      },
    },
  );
  if (durations) {
    families.push(
      histogramFamily(`${prefix}call_duration_seconds`, "Call durations in seconds (performance.now(), or the breaker's injected clock), by outcome; a breaker with measureDurations.sampleRate times one call in N and counts it N times.", 'outcome', { success: 'success', failure: 'failure', ignored: 'ignored' }),
    );
  }
  return { circuitLabel: 'circuit', families };
}

const R4J_STATES: readonly [string, CircuitState | undefined][] = [
  ['closed', 'closed'],
  ['open', 'open'],
  ['half_open', 'half-open'],
  ['forced_open', 'isolated'],
  ['disabled', 'disabled'],
  ['metrics_only', undefined],
];

/**
 * resilience4j-micrometer's names and labels (`name`, `kind`, `state`), for dashboards made
 * for it. Rates are percentages, -1 while the window holds no call, as resilience4j reports them.
 */
export function resilience4jNaming(durations: boolean): Naming {
  const p = 'resilience4j_circuitbreaker_';
  const stateExtras = R4J_STATES.map(([state]) => extra({ state }));
  const kinds = { success: 'successful', failure: 'failed', ignored: 'ignored' };
  const countExtras = Object.values(kinds).map((kind) => extra({ kind }));
  const notPermitted = extra({ kind: 'not_permitted' });
  const buffered = [extra({ kind: 'successful' }), extra({ kind: 'failed' })];
  const percent = (part: number, calls: number) => (calls === 0 ? -1 : (100 * part) / calls);
  const families: Family[] = [
    {
      name: `${p}state`,
      help: 'The states of the circuit breaker: 1 for the current one.',
      type: 'gauge',
      labelNames: ['state'],
      samples: ({ stats }, put) => {
        for (let i = 0; i < R4J_STATES.length; i++) put(R4J_STATES[i]![1] === stats.state ? 1 : 0, stateExtras[i]);
      },
    },
    durations
      ? histogramFamily(`${p}calls_seconds`, 'Calls by kind, timed on the breaker clock.', 'kind', kinds)
      : {
          // Without durations, a summary's count alone: the rate of calls by kind that dashboards plot.
          name: `${p}calls_seconds`,
          help: 'Calls by kind (durations are not measured by toPrometheus: use prometheusExporter).',
          type: 'summary',
          labelNames: ['kind'],
          samples: ({ stats }, put) => {
            put(stats.successes, countExtras[0], '_count');
            put(stats.failures, countExtras[1], '_count');
            put(stats.ignored, countExtras[2], '_count');
          },
        },
    {
      name: `${p}not_permitted_calls_total`,
      help: 'Total number of not permitted calls.',
      type: 'counter',
      labelNames: ['kind'],
      samples: ({ stats }, put) => put(stats.rejections, notPermitted),
    },
    {
      name: `${p}failure_rate`,
      help: 'The failure rate of the circuit breaker, in percent; -1 while its window holds no call.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => put(stats.window === undefined ? -1 : percent(stats.window.failures, stats.window.calls)),
    },
    {
      name: `${p}slow_call_rate`,
      help: 'The slow call rate of the circuit breaker, in percent; -1 while its window holds no call.',
      type: 'gauge',
      labelNames: [],
      samples: ({ stats }, put) => put(stats.window === undefined ? -1 : percent(stats.window.slowCalls, stats.window.calls)),
    },
    {
      name: `${p}buffered_calls`,
      help: 'The number of calls the window holds, by kind.',
      type: 'gauge',
      labelNames: ['kind'],
      samples: ({ stats }, put) => {
        const window = stats.window;
        put(window === undefined ? 0 : window.calls - window.failures, buffered[0]);
        put(window === undefined ? 0 : window.failures, buffered[1]);
      },
    },
    transitionsFamily('circuitry_transitions_total'),
  ];
  return { circuitLabel: 'name', families };
}
