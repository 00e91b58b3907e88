/**
 * A study's transaction in several smaller ones, for servers that refuse large conditional
 * transactions (Medplum: more than 8 entries). All refusals are decided before (by
 * `checkIdentities`); the entries are then sent in dependency order — an entry goes once every
 * `urn:uuid:` it refers to has a server id — with the ids returned by earlier steps written into
 * later ones (`urn:uuid:` references do not cross transactions). Every entry is conditional
 * (create if absent, or the ImagingStudy's update by its UID), so a step that fails leaves
 * nothing a retry of the whole could duplicate: the retry's identity check links what exists.
 */
import type { Bundle, BundleEntry } from 'fhir/r4';

/** `Patient/123/_history/1` → `Patient/123`; a full URL keeps its last two segments. */
function serverReference(location: string): string {
  const path = location.replace(/\/_history\/[^/]+$/, '');
  const parts = path.split('/');
  return parts.slice(-2).join('/');
}

function urnReferences(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) urnReferences(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'reference' && typeof child === 'string' && child.startsWith('urn:uuid:')) out.add(child);
      else urnReferences(child, out);
    }
  }
  return out;
}

function rewrite(entries: BundleEntry[], resolved: ReadonlyMap<string, string>): BundleEntry[] {
  return JSON.parse(JSON.stringify(entries), (key, value: unknown) =>
    key === 'reference' && typeof value === 'string' && resolved.has(value) ? resolved.get(value) : value,
  ) as BundleEntry[];
}

/**
 * Sends `bundle` as it is when it has at most `maxEntries` entries; otherwise in steps of at most
 * `maxEntries`, each holding only entries whose references are already resolved. Returns one
 * transaction-response holding every step's entries, in the order sent.
 */
export async function sendInSteps(bundle: Bundle, transaction: (bundle: Bundle) => Promise<Bundle>, maxEntries: number): Promise<Bundle> {
  const all = bundle.entry ?? [];
  if (all.length <= maxEntries) return transaction(bundle);
  const urls = new Set(all.map((e) => e.fullUrl));
  const resolved = new Map<string, string>();
  let remaining = [...all];
  const responses: BundleEntry[] = [];
  while (remaining.length > 0) {
    const ready = remaining.filter((e) => [...urnReferences(e.resource, new Set())].every((r) => !urls.has(r) || resolved.has(r) || r === e.fullUrl));
    if (ready.length === 0) throw new Error('the Bundle has a reference cycle between its entries; it cannot be sent in steps');
    const step = rewrite(ready.slice(0, maxEntries), resolved);
    const response = await transaction({ resourceType: 'Bundle', type: 'transaction', entry: step });
    (response.entry ?? []).forEach((answer, i) => {
      const fullUrl = step[i]?.fullUrl;
      const location = answer.response?.location;
      if (fullUrl !== undefined && location !== undefined) resolved.set(fullUrl, serverReference(location));
      responses.push(answer);
    });
    const sent = new Set(step.map((e) => e.fullUrl));
    remaining = remaining.filter((e) => !sent.has(e.fullUrl));
  }
  return { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
}
