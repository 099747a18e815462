import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { TimeoutError, isCircuitOpenError } from 'circuitry';
import type { BreakerOptions } from 'circuitry';
import { InventoryError, inventoryClient } from './inventory.js';

/**
 * `GET /products/:sku/stock`: live stock from the inventory service; stale stock with a
 * `x-degraded: inventory` header while it is failing; 503 with `Retry-After` while the circuit is
 * open and nothing was seen for that SKU; 502 (504 for a timeout) when it fails and nothing was seen.
 */
export function createApp(inventoryUrl: string, breakerOptions: Omit<BreakerOptions, 'name'> = {}) {
  const stockOf = inventoryClient(inventoryUrl, breakerOptions);
  const app = express();

  // Express 5 sends a rejected promise to the error handler: no try/catch in the route.
  app.get('/products/:sku/stock', async (req, res) => {
    const { stock, stale } = await stockOf(req.params.sku);
    if (stale) res.set('x-degraded', 'inventory');
    res.json(stock);
  });

  const unavailable: ErrorRequestHandler = (error, _req, res, next) => {
    if (isCircuitOpenError(error)) {
      // retryAfter is Infinity while someone holds the circuit open by hand: no promise to make.
      if (Number.isFinite(error.retryAfter)) res.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfter / 1000))));
      res.status(503).json({ error: `${error.breakerName} is unavailable` });
    } else if (error instanceof InventoryError || error instanceof TimeoutError) {
      res.status(error instanceof TimeoutError ? 504 : 502).json({ error: error.message });
    } else next(error);
  };
  app.use(unavailable);

  return { app, inventory: stockOf.breaker };
}
