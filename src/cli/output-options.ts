/**
 * Options that shape a conversion's output, shared by every command that converts a study
 * (`convert` reads a folder, `fetch` a DICOMweb server), so both accept and check them alike.
 */
import { writeFile } from 'node:fs/promises';
import type { ConvertOptions, FhirVersion, OutputFormat } from '../convert/options.js';
import { loadIssuerSystemsFile } from '../config/issuer-systems.js';
import { UsageError } from './usage-error.js';

/** `node:util` parseArgs specs. No parseArgs defaults: {@link toConvertOptions} applies them, so help and code agree. */
export const OUTPUT_OPTIONS = {
  'fhir-version': { type: 'string' },
  format: { type: 'string' },
  'no-instances': { type: 'boolean' },
  'max-instances-listed': { type: 'string' },
  timezone: { type: 'string' },
  id: { type: 'string' },
  'patient-id-system': { type: 'string' },
  'accession-system': { type: 'string' },
  'issuer-systems': { type: 'string' },
  'patient-mode': { type: 'string' },
  out: { type: 'string' },
} as const;

export const OUTPUT_OPTIONS_HELP: readonly string[] = [
  '  --fhir-version R4|R5     FHIR release of the output (default: R4)',
  '  --format imagingstudy|bundle',
  '                           imagingstudy: one ImagingStudy with contained Patient and',
  '                           Practitioners; bundle: a transaction Bundle with Patient,',
  '                           Practitioner, ServiceRequest, Observation and Endpoint as separate',
  '                           resources, ready to POST to a FHIR server (default: imagingstudy)',
  '  --no-instances           omit series[].instance[] (huge studies); counts are kept',
  '                           (default: instances included)',
  '  --max-instances-listed <n>',
  '                           omit series[].instance[] only when the study has more than <n>',
  '                           instances, e.g. 5000 for a FHIR server; counts are kept (default: no limit)',
  '  --timezone <zone>        IANA zone (Europe/Berlin) or UTC offset (+01:00) for study and series',
  '                           times when a file has no Timezone Offset From UTC (0008,0201)',
  '                           (default: none; such times are dropped and the date alone is kept)',
  '  --id uid|uuid            ImagingStudy.id: the Study Instance UID itself, or a UUID v5 of it',
  '                           (default: uid)',
  '  --patient-id-system <uri>',
  '                           Patient.identifier.system when neither Issuer of Patient ID',
  '                           (0010,0021), its qualifiers (0010,0024) nor --issuer-systems give',
  '                           one (default: none; a Patient without system stays contained)',
  '  --accession-system <uri> identifier.system of Accession Numbers whose issuer (0008,0051)',
  '                           gives none (default: none; such an order stays contained)',
  '  --issuer-systems <file.json>',
  '                           JSON object mapping issuer texts (Issuer of Patient ID, Local',
  '                           Namespace Entity ID, scheme designators of person identifiers) to',
  '                           system URIs, e.g. {"HOSPITAL A": "urn:oid:1.2.3.4"} (default: none)',
  '  --patient-mode create|existing',
  '                           bundle form: create an absent Patient (conditional create, never an',
  '                           update), or only link an existing one: the Bundle refers to it by a',
  '                           conditional reference and --post refuses the study when the server',
  '                           has none (default: create)',
  '  --out <file>             write the JSON to <file> instead of standard output (default: stdout)',
];

export interface OutputOptionValues {
  'fhir-version'?: string | undefined;
  format?: string | undefined;
  'no-instances'?: boolean | undefined;
  'max-instances-listed'?: string | undefined;
  timezone?: string | undefined;
  id?: string | undefined;
  'patient-id-system'?: string | undefined;
  'accession-system'?: string | undefined;
  'issuer-systems'?: string | undefined;
  'patient-mode'?: string | undefined;
  out?: string | undefined;
}

const FHIR_VERSIONS: readonly FhirVersion[] = ['R4', 'R5'];
const FORMATS: readonly OutputFormat[] = ['imagingstudy', 'bundle'];
const ID_STRATEGIES = ['uid', 'uuid'] as const;
const PATIENT_MODES = ['create', 'existing'] as const;

/** `±HH:MM` within the range DICOM allows for Timezone Offset From UTC (PS3.3 C.12.1.1.8): -12:00 to +14:00. */
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[], normalise: (v: string) => string): T {
  const candidate = normalise(value.trim());
  const found = allowed.find((a) => a === candidate);
  if (found === undefined) {
    throw new UsageError(`--${option} must be ${allowed.join(' or ')}, got '${value}'`, `for example: --${option} ${allowed[0]}`);
  }
  return found;
}

/**
 * Checks a `--timezone` value and returns it in canonical form (`europe/berlin` → `Europe/Berlin`),
 * because a zone the converter cannot resolve would silently drop every time.
 */
export function validateTimezone(value: string): string {
  const text = value.trim();
  const offset = OFFSET.exec(text);
  if (offset !== null) {
    const [, sign, hh, mm] = offset;
    const minutes = Number(hh) * 60 + Number(mm);
    const signed = sign === '-' ? -minutes : minutes;
    if (Number(mm) < 60 && signed >= -12 * 60 && signed <= 14 * 60) return text;
    throw new UsageError(`--timezone offset out of range: '${value}'`, 'an offset lies between -12:00 and +14:00');
  }
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
    if (text !== '') return resolved;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  throw new UsageError(`--timezone is not a known IANA time zone or ±HH:MM offset: '${value}'`, 'for example: --timezone Europe/Berlin or --timezone +01:00');
}

/** A FHIR `uri` used as identifier.system must be absolute (FHIR R4 §2.24.0.1 uri: scheme required). */
function validateSystem(option: string, value: string): string {
  const text = value.trim();
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(text)) return text;
  throw new UsageError(`--${option} must be an absolute URI, got '${value}'`, `for example: --${option} urn:oid:1.2.3.4 or https://hospital.example/ids`);
}

function issuerSystems(path: string): Record<string, string> {
  const loaded = loadIssuerSystemsFile(path);
  if (loaded.ok) return loaded.systems;
  throw new UsageError(`--issuer-systems: ${loaded.problems.join('; ')}`, 'the file holds a JSON object such as {"HOSPITAL A": "urn:oid:1.2.3.4"}');
}

function validateInstanceLimit(value: string): number {
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  throw new UsageError(`--max-instances-listed must be a non-negative integer, got '${value}'`, 'for example: --max-instances-listed 5000');
}

/** Turns parsed option values into converter options; throws {@link UsageError} on a bad value. */
export function toConvertOptions(values: OutputOptionValues): ConvertOptions {
  const options: ConvertOptions = {
    fhirVersion: values['fhir-version'] === undefined ? 'R4' : oneOf('fhir-version', values['fhir-version'], FHIR_VERSIONS, (v) => v.toUpperCase()),
    format: values.format === undefined ? 'imagingstudy' : oneOf('format', values.format, FORMATS, (v) => v.toLowerCase()),
    includeInstances: values['no-instances'] !== true,
    idStrategy: values.id === undefined ? 'uid' : oneOf('id', values.id, ID_STRATEGIES, (v) => v.toLowerCase()),
  };
  if (values['max-instances-listed'] !== undefined) options.maxInstancesListed = validateInstanceLimit(values['max-instances-listed']);
  if (values.timezone !== undefined) options.timezone = validateTimezone(values.timezone);
  if (values['patient-id-system'] !== undefined) options.patientIdentifierSystem = validateSystem('patient-id-system', values['patient-id-system']);
  if (values['accession-system'] !== undefined) options.accessionSystem = validateSystem('accession-system', values['accession-system']);
  if (values['issuer-systems'] !== undefined) options.issuerSystems = issuerSystems(values['issuer-systems']);
  if (values['patient-mode'] !== undefined) options.patientMode = oneOf('patient-mode', values['patient-mode'], PATIENT_MODES, (v) => v.toLowerCase());
  if (values.out !== undefined && values.out.trim() === '') throw new UsageError('--out needs a file name');
  return options;
}

/** The exact bytes written: 2-space JSON with a trailing newline, so repeat runs compare equal. */
export function serialize(json: unknown): string {
  return JSON.stringify(json, null, 2) + '\n';
}

export interface OutputStream {
  write(text: string, callback: (error?: Error | null) => void): unknown;
  once?(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Writes the JSON to `outPath`, or to stdout and waits until it is flushed, so a large study is
 * complete in a pipe before the process exits. A reader that closes the pipe early
 * (`| head`) ends the output quietly, as with any Unix filter. A file that cannot be written is a
 * usage error.
 */
export async function writeOutput(json: unknown, outPath?: string, stdout: OutputStream = process.stdout): Promise<void> {
  const text = serialize(json);
  if (outPath !== undefined) {
    try {
      await writeFile(outPath, text, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new UsageError(`cannot write --out ${outPath}: ${code}`, 'check that the folder exists and is writable');
    }
    return;
  }
  await new Promise<void>((resolvePromise, reject) => {
    const onError = (error: Error): void => {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') resolvePromise();
      else reject(error);
    };
    // A failed write is followed by an 'error' event; the listener stays to take it.
    stdout.once?.('error', onError);
    stdout.write(text, (error) => {
      if (error) onError(error);
      else {
        stdout.off?.('error', onError);
        resolvePromise();
      }
    });
  });
}
