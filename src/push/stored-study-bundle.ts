/**
 * The transaction Bundle of a stored (self-contained) ImagingStudy, for pushes that have only the
 * stored version at hand: catching up after a restart, publishing a store that existed before
 * push was configured, and rebuilding rows queued under older rules. It follows the identity
 * rules of the converter's Bundle form (SPEC §2.7): a contained Patient, Practitioner or Endpoint
 * becomes a server resource only when it has an identifier with a system — created if absent,
 * never updated — and everything else stays contained.
 */
import type { Bundle, BundleEntry, Identifier, Resource } from 'fhir/r4';
import type { StoredStudy } from '../bridge/types.js';
import { createIfAbsent, imagingStudyRequest, matchingIdentifier } from '../convert/bundle-identity.js';
import { fullUrlFor, identifierKey } from '../convert/ids.js';
import { NAMESPACE_OID, uuidV5 } from '../convert/values/uuid.js';

/** Resource types a stored study may hand to the server (SPEC §2.7); orders stay contained: the stored form holds none. */
const SERVER_TYPES = new Set(['Patient', 'Practitioner', 'Endpoint']);

/** Rewrites every `{"reference": "#id"}` of a moved resource to its entry's fullUrl (FHIR R4 bundle.html#references). */
function rewriteReferences<T>(value: T, fullUrls: ReadonlyMap<string, string>): T {
  return JSON.parse(JSON.stringify(value), (key, item: unknown) =>
    key === 'reference' && typeof item === 'string' && item.startsWith('#') ? (fullUrls.get(item.slice(1)) ?? item) : item,
  ) as T;
}

/**
 * Moves the contained resources that have a system-qualified identifier into entries of their
 * own (conditional create) and PUTs the ImagingStudy conditionally on its `urn:dicom:uid`
 * identifier. The ImagingStudy's id and `meta` are dropped: they are the bridge's, and a
 * conditional update that creates must not carry a client id on servers that refuse one.
 */
export function storedStudyBundle(study: StoredStudy): Bundle {
  if (study.resource === undefined) {
    throw new Error(`study ${study.studyInstanceUid} version ${study.versionId} has no resource (deleted)`);
  }
  const { contained = [], id: _id, meta: _meta, ...imagingStudy } = study.resource as unknown as Record<string, unknown> & { contained?: Resource[] };
  const fullUrls = new Map<string, string>();
  const entries: BundleEntry[] = [];
  const kept: Resource[] = [];
  for (const resource of contained) {
    const key = SERVER_TYPES.has(resource.resourceType) ? matchingIdentifier((resource as { identifier?: Identifier[] }).identifier) : undefined;
    if (key === undefined || resource.id === undefined) {
      kept.push(resource);
      continue;
    }
    const fullUrl = resource.resourceType === 'Endpoint' ? fullUrlFor('Endpoint', (resource as { address?: string }).address ?? key.value ?? '') : fullUrlFor(resource.resourceType, identifierKey([key]));
    fullUrls.set(resource.id, fullUrl);
    if (entries.some((e) => e.fullUrl === fullUrl)) continue;
    const { id: _localId, ...body } = resource;
    entries.push({ fullUrl, resource: body as Resource, request: createIfAbsent(resource.resourceType, key) });
  }
  const resolved = entries.map((e) => ({ ...e, resource: rewriteReferences(e.resource as Resource, fullUrls) }));
  const { resourceType, ...elements } = imagingStudy;
  const rebuilt = { resourceType, ...(kept.length === 0 ? {} : { contained: kept }), ...elements } as unknown as Resource;
  resolved.push({
    fullUrl: `urn:uuid:${uuidV5(study.studyInstanceUid, NAMESPACE_OID)}`,
    resource: rewriteReferences(rebuilt, fullUrls),
    request: imagingStudyRequest(study.studyInstanceUid),
  });
  return { resourceType: 'Bundle', type: 'transaction', entry: resolved };
}
