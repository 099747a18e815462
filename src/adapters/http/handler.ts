import { defaultRegistry } from 'circuitry';
import type { CircuitRegistry } from 'circuitry';
import { invalid, optionalFunction, optionsObject, positiveInteger } from '../../check/check.js';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page.js';
import type { RequestLike, ResponseLike } from './request.js';
import { header, send, sendJson } from './request.js';
import { circuitStatus, statusReport } from './status.js';
import { transitionStreams } from './transition-stream.js';

/** A control action the status page's buttons send. */
export type ControlAction = 'open' | 'close' | 'isolate';

/** Options of {@link statusHandler}. */
export interface StatusHandlerOptions {
  /** The breakers to show. Default: `defaultRegistry`. */
  registry?: CircuitRegistry | undefined;
  /**
   * The path the handler is reached under, when the server hands it the whole path (`node:http`,
   * Fastify's `request.raw`): `'/circuits'` serves `/circuits/`, `/circuits/status.json`... Not
   * needed under Express's `app.use('/circuits', handler)`, which strips it. Default `''`.
   */
  prefix?: string | undefined;
  /**
   * Decides whether `req` may read (the page, the JSON, the stream): true to serve it, false for
   * a 403. Default: everyone may read.
   */
  authorize?: ((req: RequestLike) => boolean | Promise<boolean>) | undefined;
  /**
   * Turns on the control actions (open, close, isolate a circuit), off by default. Its
   * `authorize` decides each request: only a `POST` with `content-type: application/json` and the
   * header `x-circuitry-control: 1` (which a cross-site form cannot send, and a cross-site
   * `fetch` cannot without a CORS preflight this handler never grants) gets that far.
   */
  control?:
    | {
        /** Decides one control request: true to carry out `action` on the circuit listed under `key`. */
        authorize: (req: RequestLike, action: ControlAction, key: string) => boolean | Promise<boolean>;
      }
    | undefined;
  /** Include each circuit's last failure message in what is served. Default `false`: messages may carry secrets. */
  exposeErrors?: boolean | undefined;
  /** Event-stream clients at once; more get a 503. Default 16. */
  maxStreams?: number | undefined;
  /** Milliseconds between heartbeats on an event stream. Default 15,000. */
  heartbeat?: number | undefined;
  /** Milliseconds between the page's reads of the status. Default 2,000. */
  refresh?: number | undefined;
}

/**
 * A request handler for `node:http`, Express, Fastify (`request.raw`, `reply.raw`) and Nest:
 * `(req, res, next?) => void`. Call `close()` to end its event streams.
 */
export interface StatusHandler {
  (req: RequestLike, res: ResponseLike, next?: () => void): void;
  /** Ends every event stream and stops listening to the registry. */
  close(): void;
}

const KEYS = ['registry', 'prefix', 'authorize', 'control', 'exposeErrors', 'maxStreams', 'heartbeat', 'refresh'];
const ACTIONS: readonly ControlAction[] = ['open', 'close', 'isolate'];

// The page loads only its own script, style and data: no inline code, no other origin (the
// empty data: icon keeps browsers from asking for /favicon.ico).
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves every breaker of a registry: `status.json` (name, state, consecutive failures, counts,
 * window rates, retry after), `events` (a server-sent-events stream of transitions) and, at the
 * root, a self-contained live page (no CDN, no build step). Read-only unless `control` is given.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { statusHandler } from 'circuitry/http';
 * const circuits = statusHandler({ prefix: '/circuits' });
 * createServer((req, res) => circuits(req, res)).listen(8080);
 * ```
 * @throws TypeError or RangeError naming the option when an option is invalid.
 */
export function statusHandler(options: StatusHandlerOptions = {}): StatusHandler {
  const o = optionsObject(options, 'statusHandler', KEYS);
  const registry = (o.registry ?? defaultRegistry) as CircuitRegistry;
  if (typeof (registry as Partial<CircuitRegistry> | null)?.entries !== 'function') invalid(TypeError, 'registry', 'a CircuitRegistry', registry);
  const prefix = (o.prefix ?? '') as string;
  if (typeof prefix !== 'string' || (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/')))) {
    invalid(TypeError, 'prefix', "a path starting with '/' and not ending with one, or ''", prefix);
  }
  const authorize = optionalFunction<NonNullable<StatusHandlerOptions['authorize']>>(o, 'authorize');
  const control = o.control as StatusHandlerOptions['control'];
  if (control !== undefined && typeof control?.authorize !== 'function') invalid(TypeError, 'control', 'an object with an authorize function', control);
  const exposeErrors = o.exposeErrors ?? false;
  if (typeof exposeErrors !== 'boolean') invalid(TypeError, 'exposeErrors', 'a boolean', exposeErrors);
  const maxStreams = positiveInteger(o, 'maxStreams', 16);
  const heartbeat = positiveInteger(o, 'heartbeat', 15_000);
  const refresh = positiveInteger(o, 'refresh', 2_000);
  const streams = transitionStreams(registry, maxStreams, heartbeat);

  const route = async (req: RequestLike, res: ResponseLike, path: string, query: URLSearchParams): Promise<void> => {
    if (authorize !== undefined && !(await authorize(req))) return sendJson(res, 403, { error: 'forbidden' });
    if (path === '/control') return controlRequest(req, res, query);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    switch (path) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML, { 'content-security-policy': PAGE_POLICY, 'x-frame-options': 'DENY' });
      case '/page.js':
        return send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
      case '/page.css':
        return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
      case '/status.json':
        return sendJson(res, 200, statusReport(registry, refresh, control !== undefined, exposeErrors));
      case '/events':
        return streams.open(req, res);
    }
  };

  const controlRequest = async (req: RequestLike, res: ResponseLike, query: URLSearchParams): Promise<void> => {
    if (control === undefined) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'POST' });
    if (!/^application\/json\s*(;|$)/i.test(header(req, 'content-type') ?? '')) return sendJson(res, 415, { error: 'content-type must be application/json' });
    if (header(req, 'x-circuitry-control') !== '1') return sendJson(res, 403, { error: 'the x-circuitry-control header is required' });
    if (crossSite(req)) return sendJson(res, 403, { error: 'cross-site request refused' });
    const action = query.get('action') as ControlAction;
    const key = query.get('key') ?? '';
    if (!ACTIONS.includes(action)) return sendJson(res, 400, { error: `action must be one of ${ACTIONS.join(', ')}` });
    if (!(await control.authorize(req, action, key))) return sendJson(res, 403, { error: 'forbidden' });
    const breaker = registry.entries().find(([k]) => k === key)?.[1];
    if (breaker === undefined) return sendJson(res, 404, { error: 'no such circuit' });
    if (action === 'open') breaker.open();
    else if (action === 'close') breaker.close();
    // The hold lasts until a close: the page has no release button, and `close` drops every hold.
    else breaker.isolate();
    sendJson(res, 200, circuitStatus(key, breaker, exposeErrors));
  };

  const handler = ((req: RequestLike, res: ResponseLike, next?: () => void) => {
    const url = new URL(req.url ?? '/', 'http://local');
    let path = url.pathname;
    if (prefix !== '') {
      if (path !== prefix && !path.startsWith(`${prefix}/`)) return next === undefined ? sendJson(res, 404, { error: 'not found' }) : next();
      path = path.slice(prefix.length);
    }
    // The page's links are relative: it must be served under a path ending in '/'.
    if (path === '') return send(res, 308, 'text/plain; charset=utf-8', '', { location: `${url.pathname}/${url.search}` });
    if (!['/', '/index.html', '/page.js', '/page.css', '/status.json', '/events', '/control'].includes(path)) {
      return next === undefined ? sendJson(res, 404, { error: 'not found' }) : next();
    }
    route(req, res, path, url.searchParams).catch(() => {
      // What failed (an authorize hook, most likely) stays on the server, as errors do unless exposed.
      sendJson(res, 500, { error: 'internal error' });
    });
  }) as StatusHandler;
  handler.close = () => streams.close();
  return handler;
}

// A browser names where a request comes from; a request from another site is refused even when
// the hook would allow it. Tools that send neither header (curl) are left to `authorize`.
function crossSite(req: RequestLike): boolean {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = header(req, 'origin');
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== header(req, 'host');
  } catch {
    return true;
  }
}
