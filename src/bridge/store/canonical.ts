/**
 * Canonical JSON of a resource's content, so "unchanged" means the same content whatever the key
 * order: a repeat sync of an unchanged study must not create a version (FHIR R4 §3.1.0.10.2,
 * versionId changes only when the resource changes; `meta` is excluded because it is the store's
 * own bookkeeping).
 */
import { createHash } from 'node:crypto';

function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = canonicalValue(item);
    }
    return sorted;
  }
  return value;
}

/** JSON with object keys sorted at every level; array order is kept (it is meaningful in FHIR). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value));
}

/** SHA-256 of the canonical JSON of the resource without `meta`. */
export function contentHash(resource: { meta?: unknown }): string {
  const { meta: _meta, ...content } = resource;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
