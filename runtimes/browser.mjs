// The smoke test in headless Chromium (Debian's, driven by playwright-core through its path:
// never a browser download), bundled as a browser app would be.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { bundle } from './lib/bundle.mjs';
import { CHROMIUM } from './lib/ensure-chromium.mjs';

const ARGS = [
  '--headless',
  '--no-sandbox', // CI runs as root, where Chromium's sandbox refuses to start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Served from localhost, as an app is served over https: a secure context, where browsers give
// what circuitry's store uses (crypto.randomUUID); about:blank is not one.
async function serve(script) {
  const files = {
    '/': ['text/html', '<!doctype html><title>circuitry smoke</title><script src="/smoke.js"></script>'],
    '/smoke.js': ['text/javascript', script],
  };
  const server = createServer((request, response) => {
    const [type, body] = files[request.url] ?? ['text/plain', 'not found'];
    response.writeHead(files[request.url] ? 200 : 404, { 'content-type': type }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

export async function runBrowser(app) {
  const server = await serve(await bundle(app, 'browser-entry.mjs', { format: 'iife' }));
  const profile = mkdtempSync(join(tmpdir(), 'circuitry-chromium-'));
  try {
    // A persistent context is how playwright takes a --user-data-dir: a fresh one each run.
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors = [];
      page.on('pageerror', (error) => errors.push(error));
      await page.goto(server.url);
      // page.evaluate waits for ever on a promise that never settles.
      let timer;
      const stuck = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the smoke test did not settle within 60 s')), 60_000)));
      const summary = await Promise.race([page.evaluate(() => globalThis.circuitrySmoke()), stuck]).finally(() => clearTimeout(timer));
      if (errors.length > 0) throw errors[0];
      return `${context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent))}: ${summary}`;
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
