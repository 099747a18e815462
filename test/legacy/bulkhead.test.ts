// Compiled with experimentalDecorators (see tsconfig.json beside this file), as NestJS apps are.
import { describe, expect, it } from 'vitest';
import { BulkheadRejectedError, bulkhead, bulkheadOf, retry } from 'circuitry';

class StockClient {
  release: (() => void)[] = [];

  @bulkhead({ maxConcurrent: 1 })
  async perClass(sku: string): Promise<string> {
    return this.hold(sku);
  }

  @retry({ attempts: 1 })
  @bulkhead({ maxConcurrent: 1, scope: 'instance' })
  async perInstance(sku: string): Promise<string> {
    return this.hold(sku);
  }

  hold(sku: string): Promise<string> {
    return new Promise((resolve) => this.release.push(() => resolve(sku)));
  }
}

describe('@bulkhead under experimentalDecorators', () => {
  it('shares one bulkhead per class, named Class.method', async () => {
    const a = new StockClient();
    const b = new StockClient();
    const running = a.perClass('1');
    const refused = await b.perClass('2').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BulkheadRejectedError);
    expect((refused as BulkheadRejectedError).bulkheadName).toBe('StockClient.perClass');
    expect(bulkheadOf(b, 'perClass').stats()).toMatchObject({ inFlight: 1, rejections: 1 });
    a.release[0]!();
    await expect(running).resolves.toBe('1');
  });

  it('gives each instance its own with scope "instance", found through @retry', async () => {
    const a = new StockClient();
    const b = new StockClient();
    const fromA = a.perInstance('1');
    const fromB = b.perInstance('2');
    expect(bulkheadOf(a, 'perInstance')).not.toBe(bulkheadOf(b, 'perInstance'));
    expect(bulkheadOf(a, 'perInstance').inFlight).toBe(1);
    a.release[0]!();
    b.release[0]!();
    await expect(Promise.all([fromA, fromB])).resolves.toEqual(['1', '2']);
  });
});
