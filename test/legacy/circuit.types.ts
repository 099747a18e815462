// Type tests under experimentalDecorators; checked by `tsc -p test/legacy`, never run.
import { circuit, circuitSync } from 'circuitry';
import { expectType } from '../types/expect-type.js';
import type { Equal } from '../types/expect-type.js';

class Client {
  @circuit({ failureThreshold: 3 }) async get(id: string): Promise<string> {
    return id;
  }
  @circuit async list(): Promise<string[]> {
    return [];
  }
  @circuitSync() parse(raw: string): number {
    return raw.length;
  }
  @circuitSync parseBare(raw: string): number {
    return raw.length;
  }
  // @ts-expect-error: @circuit guards methods that return promises; use @circuitSync
  @circuit sync(): number {
    return 1;
  }
  // @ts-expect-error: @circuit() guards methods that return promises
  @circuit() syncToo(): number {
    return 1;
  }
}

const client = new Client();
expectType<Equal<ReturnType<typeof client.get>, Promise<string>>>();
expectType<Equal<ReturnType<typeof client.parse>, number>>();
