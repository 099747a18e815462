// Compiled by run.mjs with esbuild into .build/, which lowers standard decorators for Node 20;
// the import is relative to that output.
import { circuit } from '../../dist/index.js';

export class Client {
  @circuit
  async get(): Promise<number> {
    return 42;
  }
}
