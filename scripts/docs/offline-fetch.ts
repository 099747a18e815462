// The docs fetch from made-up hosts (users.internal, api.internal...). This fetch answers them
// from a table, at once, so snippets run offline and fast; loopback still reaches a real server,
// for a snippet that starts one; any other host fails as an unreachable one would.
const networkFetch = globalThis.fetch;

const routes: [RegExp, (match: RegExpExecArray) => Response][] = [
  [/^https:\/\/users\.internal\/users\/([^/?#]+)$/, (m) => Response.json({ id: m[1], name: 'Ada' })],
  // The README shows isFailure counting a 503 that fetch resolves with.
  [/^https:\/\/api\.internal\/items$/, () => new Response('busy', { status: 503 })],
  [/^https:\/\/example\.internal\//, () => new Response('<p>a page</p>', { headers: { 'content-type': 'text/html' } })],
];

const loopback = new Set(['localhost', '127.0.0.1', '[::1]']);

async function offlineFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (loopback.has(url.hostname)) return networkFetch(input, init);
  request.signal.throwIfAborted();
  for (const [pattern, answer] of routes) {
    const match = pattern.exec(request.url);
    if (match !== null) return answer(match);
  }
  throw new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url.hostname}`) });
}

globalThis.fetch = offlineFetch;
export {};
