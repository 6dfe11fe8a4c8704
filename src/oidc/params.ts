/** @see RFC 6749 §3.1, §3.2: a parameter sent without a value is treated as omitted. */
export function withoutEmptyValues(params: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params ?? {}).filter(([, value]) => value !== ''));
}
