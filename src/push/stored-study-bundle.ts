/**
 * The transaction Bundle of a stored (self-contained) ImagingStudy, for pushes that have only the
 * stored version at hand: catching up after a restart, or publishing a store that existed before
 * push was configured. The sync path sends the converter's richer Bundle form instead.
 */
import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, BundleEntryRequest, Identifier, Resource } from 'fhir/r4';
import type { StoredStudy } from '../bridge/types.js';
import { identifierQuery } from '../convert/search-url.js';
import { DICOM_UID_SYSTEM } from '../convert/systems.js';

/** A stable `urn:uuid:` (RFC 4122 v4 layout) from a name, so the same study gives the same Bundle. */
function nameUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Conditional update by an identifier with a system, conditional create by a bare identifier
 * value (FHIR R4 http.html#cond-update, #ccreate); a resource without identifier can only be
 * created, as the converter's Bundle form does.
 */
function requestFor(resource: Resource): BundleEntryRequest {
  const identifiers = (resource as { identifier?: Identifier[] }).identifier ?? [];
  const key = identifiers.find((i) => i.system !== undefined && i.value !== undefined) ?? identifiers.find((i) => i.value !== undefined);
  const query = key === undefined ? undefined : identifierQuery(key);
  if (query === undefined) {
    return { method: 'POST', url: resource.resourceType };
  }
  return key?.system !== undefined ? { method: 'PUT', url: `${resource.resourceType}?${query}` } : { method: 'POST', url: resource.resourceType, ifNoneExist: query };
}

/** Rewrites every `{"reference": "#id"}` to the entry's fullUrl (FHIR R4 bundle.html#references). */
function rewriteReferences<T>(value: T, fullUrls: ReadonlyMap<string, string>): T {
  return JSON.parse(JSON.stringify(value), (key, item: unknown) =>
    key === 'reference' && typeof item === 'string' && item.startsWith('#') ? (fullUrls.get(item.slice(1)) ?? item) : item,
  ) as T;
}

/**
 * Unpacks the contained Patient, Practitioners and Endpoint into entries of their own and PUTs
 * the ImagingStudy conditionally on `identifier=urn:dicom:uid|urn:oid:<uid>`. Resource ids and
 * `meta` are dropped: they are the bridge's, and a conditional update that creates must not
 * carry a client id on servers that refuse one.
 */
export function storedStudyBundle(study: StoredStudy): Bundle {
  if (study.resource === undefined) {
    throw new Error(`study ${study.studyInstanceUid} version ${study.versionId} has no resource (deleted)`);
  }
  const { contained = [], id: _id, meta: _meta, ...imagingStudy } = study.resource as unknown as Record<string, unknown> & { contained?: Resource[] };
  const fullUrls = new Map<string, string>();
  for (const resource of contained) {
    if (resource.id !== undefined) {
      fullUrls.set(resource.id, nameUuid(`${study.studyInstanceUid}#${resource.id}`));
    }
  }
  const entries: BundleEntry[] = contained.map((resource) => {
    const { id, ...rest } = resource;
    const body = rewriteReferences(rest as Resource, fullUrls);
    return { fullUrl: id === undefined ? nameUuid(`${study.studyInstanceUid}#${JSON.stringify(rest)}`) : (fullUrls.get(id) as string), resource: body, request: requestFor(body) };
  });
  entries.push({
    fullUrl: nameUuid(study.studyInstanceUid),
    resource: rewriteReferences(imagingStudy as unknown as Resource, fullUrls),
    request: { method: 'PUT', url: `ImagingStudy?${identifierQuery({ system: DICOM_UID_SYSTEM, value: `urn:oid:${study.studyInstanceUid}` }) ?? ''}` },
  });
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}
