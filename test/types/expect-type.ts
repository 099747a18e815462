/** Compile-time assertions: a line using them fails `tsc` when the types differ. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export function expectType<T extends true>(_proof?: T): void {}
