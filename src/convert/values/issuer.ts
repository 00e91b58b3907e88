/** Issuers of identifiers (HL7 v2 HD-like DICOM macros) → FHIR Identifier.system / assigner (SPEC §2.4). */
import type { Identifier } from 'fhir/r4';
import { getString, type Dataset } from '../../dicom/dataset.js';
import { Tag } from '../../dicom/tags.js';

const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An absolute URI (RFC 3986 scheme followed by `:`), e.g. `urn:oid:…`, `http://…`. */
const URI_PATTERN = /^[a-z][a-z0-9+.-]*:\S+$/i;

/** Where an identifier's namespace ends up: a URI `system`, or only a human-readable assigner. */
export interface IssuerParts {
  system?: string;
  assignerDisplay?: string;
}

/**
 * How a site names its assigning authorities: issuer text as DICOM carries it (Issuer of Patient
 * ID, a Local Namespace Entity ID, a coding scheme designator) → the identifier system URI.
 */
export type IssuerSystems = Readonly<Record<string, string>>;

/**
 * A free-text issuer: an OID becomes `urn:oid:…`, a URI stays, a name the site mapped becomes
 * its system (the name is kept as assigner), anything else only names the assigner.
 */
export function issuerFromText(issuer: string | undefined, systems?: IssuerSystems): IssuerParts {
  if (issuer === undefined) return {};
  if (OID_PATTERN.test(issuer)) return { system: `urn:oid:${issuer}` };
  if (UUID_PATTERN.test(issuer)) return { system: `urn:uuid:${issuer.toLowerCase()}` };
  if (URI_PATTERN.test(issuer)) return { system: issuer };
  const mapped = mappedSystem(issuer, systems);
  return mapped === undefined ? { assignerDisplay: issuer } : { system: mapped, assignerDisplay: issuer };
}

/** The system a site mapped this issuer text to (exact text, then trimmed), if any. */
export function mappedSystem(issuer: string | undefined, systems: IssuerSystems | undefined): string | undefined {
  if (issuer === undefined || systems === undefined) return undefined;
  return Object.hasOwn(systems, issuer) ? systems[issuer] : Object.hasOwn(systems, issuer.trim()) ? systems[issuer.trim()] : undefined;
}

/**
 * An HL7 v2 HD item (PS3.3 §10.17: Local Namespace Entity ID, Universal Entity ID and its
 * type ISO/UUID/URI…). The universal id gives the system when it is an OID (type ISO) or a URI;
 * otherwise the site's map may name the local namespace's system. The local namespace is the assigner.
 */
export function issuerFromItem(item: Dataset | undefined, systems?: IssuerSystems): IssuerParts {
  if (item === undefined) return {};
  const local = getString(item, Tag.LocalNamespaceEntityID);
  const universal = getString(item, Tag.UniversalEntityID);
  const type = getString(item, Tag.UniversalEntityIDType)?.toUpperCase();
  let system: string | undefined;
  if (universal !== undefined) {
    if (type === 'ISO' && OID_PATTERN.test(universal)) system = `urn:oid:${universal}`;
    else if (type === 'UUID' && UUID_PATTERN.test(universal)) system = `urn:uuid:${universal.toLowerCase()}`;
    else system = issuerFromText(universal).system;
  }
  system ??= mappedSystem(local, systems) ?? mappedSystem(universal, systems);
  const parts: IssuerParts = {};
  if (system !== undefined) parts.system = system;
  const display = local ?? (system === undefined ? universal : undefined);
  if (display !== undefined) parts.assignerDisplay = display;
  return parts;
}

/** Puts issuer parts on an identifier, in FHIR element order (system before value, assigner last). */
export function withIssuer(
  base: Omit<Identifier, 'system' | 'value' | 'assigner'>,
  value: string,
  issuer: IssuerParts,
  defaultSystem?: string,
): Identifier {
  const identifier: Identifier = { ...base };
  const system = issuer.system ?? defaultSystem;
  if (system !== undefined) identifier.system = system;
  identifier.value = value;
  if (issuer.assignerDisplay !== undefined) identifier.assigner = { display: issuer.assignerDisplay };
  return identifier;
}
