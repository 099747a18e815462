import { callSignal, circuit } from 'circuitry';
import type { BreakerOptions } from 'circuitry';

export interface Stock {
  readonly sku: string;
  readonly available: number;
}

/** The inventory service could not be reached, or answered with an error. */
export class InventoryError extends Error {
  override name = 'InventoryError';
}

/**
 * Stock levels from the inventory service, behind a breaker. While the service fails or the
 * circuit is open, the last stock seen for a SKU is served, marked `stale`; a SKU never seen
 * gets the error itself (a `CircuitOpenError` while open).
 */
export function inventoryClient(baseUrl: string, options: Omit<BreakerOptions, 'name'> = {}) {
  const lastSeen = new Map<string, Stock>();
  return circuit(
    async (sku: string) => {
      const response = await fetch(`${baseUrl}/stock/${encodeURIComponent(sku)}`, { signal: callSignal() }).catch((cause: unknown) => {
        throw new InventoryError('inventory is unreachable', { cause });
      });
      if (!response.ok) throw new InventoryError(`inventory answered ${response.status}`);
      const stock = (await response.json()) as Stock;
      lastSeen.set(sku, stock);
      return { stock, stale: false };
    },
    {
      name: 'inventory',
      failureThreshold: 3,
      recoveryTimeout: 15_000,
      timeout: 2_000,
      ...options,
      fallback: (error, sku) => {
        const stock = lastSeen.get(sku);
        if (stock === undefined) throw error; // rethrown as it is: the route decides what it means
        return { stock, stale: true };
      },
    },
  );
}
