/**
 * The slice of an incoming request the handler reads: `node:http`'s `IncomingMessage`, and so
 * Express's, Fastify's `request.raw` and Nest's (over Express) fit it. No Node module is imported.
 */
export interface RequestLike {
  /** `GET`, `POST`... */
  readonly method?: string | undefined;
  /** The path and query, as the server received it (Express: relative to where the handler is mounted). */
  readonly url?: string | undefined;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Heard on `'close'`: the client went away. */
  on(event: 'close', listener: () => void): unknown;
}

/** The slice of a response the handler writes: `node:http`'s `ServerResponse` fits it. */
export interface ResponseLike {
  /** Sends the status line and headers. */
  writeHead(status: number, headers: Record<string, string>): unknown;
  /** Sends part of the body (the event stream's events). */
  write(chunk: string): unknown;
  /** Sends the rest of the body and ends the response. */
  end(chunk?: string): unknown;
  /** Heard on `'close'`: the connection ended. */
  on(event: 'close', listener: () => void): unknown;
}

export function header(req: RequestLike, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function send(res: ResponseLike, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, ...SECURITY_HEADERS, ...extra });
  res.end(body);
}

export function sendJson(res: ResponseLike, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), extra);
}
