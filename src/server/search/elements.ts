/**
 * `_elements` and `_summary=data` (FHIR R4 §3.1.1.5.9 and §3.1.1.5.8): a resource cut down to
 * what the client asked for, `id` and `meta` always kept and `meta.tag` SUBSETTED added so no one
 * mistakes it for the whole resource. `contained` stays when a kept element points into it
 * (a local reference must resolve, R4 §2.3.0.2 dom-3).
 */
import type { Coding } from 'fhir/r4';
import type { FhirResource } from '../request.js';

export const SUBSETTED: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };

const ALWAYS = new Set(['resourceType', 'id', 'meta']);

function tagged(resource: Record<string, unknown>): Record<string, unknown> {
  const meta = (resource.meta ?? {}) as { tag?: Coding[] };
  return { ...resource, meta: { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] } };
}

/** The resource with only `elements` (and id, meta) kept. */
export function selectElements(resource: FhirResource, elements: readonly string[]): FhirResource {
  const source = resource as unknown as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  const wanted = new Set(elements);
  for (const [name, value] of Object.entries(source)) {
    if (ALWAYS.has(name) || (wanted.has(name) && name !== 'contained')) kept[name] = value;
  }
  const pointsInside = JSON.stringify(Object.entries(kept).filter(([name]) => !ALWAYS.has(name))).includes('"reference":"#');
  if (source.contained !== undefined && (wanted.has('contained') || pointsInside)) kept.contained = source.contained;
  return tagged(kept) as unknown as FhirResource;
}

/** `_summary=data`: everything but the narrative. */
export function withoutText(resource: FhirResource): FhirResource {
  const source = resource as unknown as Record<string, unknown>;
  if (source.text === undefined) return resource;
  const { text: _text, ...rest } = source;
  return tagged(rest) as unknown as FhirResource;
}
