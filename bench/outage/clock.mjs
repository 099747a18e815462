// One time base for every process of a run: epoch milliseconds with sub-millisecond precision,
// so the generator's schedule, the upstream's switches and the breakers' events can be compared.
export const now = () => performance.timeOrigin + performance.now();
