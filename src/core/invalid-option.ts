/** Renders a rejected option value for an error message: strings quoted, types named. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}" (a string)`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null) return 'null';
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'an anonymous function';
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}

/** Throws `new Type("<option> must be <expected>, got <value>")`. */
export function invalid(Type: new (message: string) => Error, option: string, expected: string, value: unknown): never {
  throw new Type(`${option} must be ${expected}, got ${describeValue(value)}`);
}
