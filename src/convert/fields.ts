/** Helpers that let the compiler check every owned FHIR element is decided, and keep absent ones absent. */

/**
 * Every key in `K` must be written, possibly as `undefined`: forgetting an element the
 * converter owns is a compile error, yet an absent DICOM value still yields no FHIR element.
 * (Keys go through a template literal: a plain `-?` mapped type would also strip `undefined`.)
 */
export type Owned<T, K extends keyof T & string> = {
  [P in `${K}`]: P extends keyof T ? T[P] | undefined : never;
};

/**
 * Copies the defined entries of `fields` in their written order (FHIR JSON element order).
 * Undefined means "absent in DICOM": the key is left out, never written as `null` or `""`.
 */
export function defined<T extends object, K extends keyof T & string>(fields: Owned<T, K>, base?: Partial<T>): T {
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(fields)) {
    const value = (fields as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

/** `undefined` for an empty list, so no `[]` ever reaches the output. */
export function nonEmpty<T>(items: readonly T[]): T[] | undefined {
  return items.length === 0 ? undefined : [...items];
}
