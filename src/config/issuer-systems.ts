/**
 * The issuer map (`--issuer-systems <file.json>`, `ISSUER_SYSTEMS_FILE`): how a site names its
 * assigning authorities. A JSON object from issuer text as DICOM carries it (Issuer of Patient
 * ID, a Local Namespace Entity ID, a coding scheme designator) to an absolute system URI
 * (SPEC §2.7 "Systems"). Checked when the program starts, with every problem listed.
 */
import { readFileSync } from 'node:fs';

export type IssuerSystemsResult = { ok: true; systems: Record<string, string> } | { ok: false; problems: string[] };

/** An absolute URI (RFC 3986 scheme, then `:`), as FHIR requires of `Identifier.system`. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/** Checks parsed JSON: an object of non-empty issuer texts to absolute URIs. Issuer texts are not echoed (they may be site names only, but stay out of logs anyway). */
export function parseIssuerSystems(json: unknown): IssuerSystemsResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, problems: ['must be a JSON object such as {"HOSPITAL A": "urn:oid:1.2.3.4"}'] };
  }
  const problems: string[] = [];
  const systems: Record<string, string> = {};
  let index = 0;
  for (const [issuer, system] of Object.entries(json as Record<string, unknown>)) {
    index += 1;
    if (issuer.trim() === '') problems.push(`entry ${index}: the issuer text is empty`);
    else if (typeof system !== 'string' || !ABSOLUTE_URI.test(system)) {
      problems.push(`entry ${index}: the system must be an absolute URI (urn:oid:…, https://…), got ${JSON.stringify(system)}`);
    } else systems[issuer] = system;
  }
  if (index === 0) problems.push('maps no issuer');
  return problems.length === 0 ? { ok: true, systems } : { ok: false, problems };
}

/** Reads and checks the file; an unreadable file or invalid JSON is a problem like any other. */
export function loadIssuerSystemsFile(path: string): IssuerSystemsResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const result = parseIssuerSystems(json);
  return result.ok ? result : { ok: false, problems: result.problems.map((p) => `${path}: ${p}`) };
}
