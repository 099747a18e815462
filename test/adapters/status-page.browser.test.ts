// The live page in a real headless browser (Debian's chromium, driven by playwright-core; never a
// browser download): it follows a breaker open → half-open → closed as it happens. State is
// driven by hand and by a manual clock; the browser only waits for what the page shows.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitRegistry } from 'circuitry';
import { statusHandler } from 'circuitry/http';
import { serve } from '../helpers/http-server.js';
import { manualClock } from '../helpers/manual-clock.js';

// Gitignored: the screenshots of a run, for a person to look at.
const SCREENSHOTS = fileURLToPath(new URL('../../.screenshots/', import.meta.url));

let browser: Browser;
beforeAll(async () => {
  // scripts/ensure-tool.mjs chromium installs it when missing (npm run test:unit does).
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('the status page', () => {
  it('shows a breaker going open → half-open → closed as it happens, with the time to its next trial', async () => {
    const clock = manualClock();
    const registry = new CircuitRegistry();
    const handler = statusHandler({ registry, prefix: '/circuits', refresh: 100 });
    const server = await serve((req, res) => handler(req, res));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      const payments = new CircuitBreaker({ name: 'payments', registry, clock, failureThreshold: 1, recoveryTimeout: 5_000 });
      const tricky = '<img src=x onerror="window.pwned=1">';
      new CircuitBreaker({ name: tricky, registry, clock });
      await payments.execute(async () => 1);
      await page.goto(`${server.url}/circuits/`);
      const card = page.locator('.circuit[data-key="payments"]');
      await expect.poll(() => card.locator('.state').textContent()).toBe('closed');
      await expect.poll(() => page.locator('#live').textContent()).toBe('live');

      await payments.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
      await expect.poll(() => card.locator('.state').textContent()).toBe('open');
      await expect.poll(() => card.getAttribute('data-state')).toBe('open');
      expect(await card.locator('.trial').textContent()).toMatch(/^next trial in [45] s$/);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}status-page-open.png`, fullPage: true });

      clock.advance(5_000);
      await expect.poll(() => card.locator('.state').textContent()).toBe('half-open');
      expect(await card.locator('.trial').textContent()).toBe('trial calls decide now');

      await payments.execute(async () => 1);
      await expect.poll(() => card.locator('.state').textContent()).toBe('closed');
      await expect.poll(async () => (await card.locator('polyline.calls').getAttribute('points'))?.length ?? 0).toBeGreaterThan(0);
      await page.screenshot({ path: `${SCREENSHOTS}status-page-closed.png`, fullPage: true });

      // A name is text, never markup.
      expect(await page.locator('.circuit h2').allTextContents()).toContain(tricky);
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      handler.close();
      await server.close();
    }
  }, 60_000);

  it('shows control buttons only when control is enabled, and they act through the hook', async () => {
    const registry = new CircuitRegistry();
    const handler = statusHandler({ registry, refresh: 100, control: { authorize: () => true } });
    const server = await serve((req, res) => handler(req, res));
    const page = await browser.newPage();
    try {
      const breaker = new CircuitBreaker({ name: 'orders', registry });
      await page.goto(`${server.url}/`);
      await page.locator('.circuit[data-key="orders"] button', { hasText: 'open' }).click();
      await expect.poll(() => breaker.state).toBe('open');
      await expect.poll(() => page.locator('.circuit[data-key="orders"] .state').textContent()).toBe('open');
    } finally {
      await page.close();
      handler.close();
      await server.close();
    }
  }, 60_000);
});
