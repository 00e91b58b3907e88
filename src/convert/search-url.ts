/** Conditional-request URLs (FHIR R4 §3.1.0.8 conditional update, §3.1.0.11 ifNoneExist). */
import type { Identifier } from 'fhir/r4';

/**
 * Percent-encodes a search value but keeps `:` and `/`, which are legal in a query and keep
 * URLs such as `ImagingStudy?identifier=urn:dicom:uid|urn:oid:1.2.3` readable. A `|` or `,`
 * inside a value is escaped with `\` first, as FHIR search requires (R4 §3.1.1.5.8).
 */
export function encodeSearchValue(value: string): string {
  return encodeURIComponent(value.replace(/([\\|,$])/g, '\\$1'))
    .replace(/%3A/gi, ':')
    .replace(/%2F/gi, '/');
}

/** `identifier=system|value`, or `identifier=value` when the identifier has no system. */
export function identifierQuery(identifier: Identifier): string | undefined {
  if (identifier.value === undefined) return undefined;
  const value = encodeSearchValue(identifier.value);
  return identifier.system === undefined
    ? `identifier=${value}`
    : `identifier=${encodeSearchValue(identifier.system)}|${value}`;
}
