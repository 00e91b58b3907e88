/**
 * Every setting of `dicom2fhir serve` in one table: its environment variable, its command-line
 * flag, its help text and the zod schema that both types and validates it. Adding a setting is
 * one entry here; `Config`, `loadConfig` and `--help` follow from the table.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { createOffsetResolver } from '../convert/values/offset.js';
import { parseDuration } from './duration.js';
import { loadIssuerSystemsFile } from './issuer-systems.js';

/**
 * Default of MAX_INSTANCES_LISTED. An instance entry is ~200 bytes of JSON, so 5,000 instances
 * keep an ImagingStudy near 1 MB: a size FHIR servers take in one request, index and return
 * without raising their default body limits, where a 30,000-instance study's lists alone are
 * ~6 MB. Most studies (CT, MR, a cardiac CT of 3,000 images) stay listed in full.
 */
export const DEFAULT_MAX_INSTANCES_LISTED = 5000;

export interface Setting<S extends z.ZodType = z.ZodType> {
  env: string;
  flag: string;
  description: string;
  /** Shown in `--help`; the schema holds the real default. */
  defaultText?: string;
  schema: S;
  /** Never echoed back (help shows whether it is set, problems do not quote it). */
  secret?: boolean;
}

function setting<S extends z.ZodType>(definition: Setting<S>): Setting<S> {
  return definition;
}

const httpUrl = z
  .string()
  .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), 'must be an http(s) URL')
  .transform((text) => text.replace(/\/+$/, ''));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as 500ms, 10s, 2m or a number of seconds')
    .transform((text) => parseDuration(text) ?? 0);

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((text) => /^\d+$/.test(text) && Number(text) >= min && Number(text) <= max, `must be an integer from ${min} to ${max}`)
    .transform(Number);

/** An absolute URI, as FHIR requires of `Identifier.system` (`urn:oid:…`, `https://…`). */
const absoluteUri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/, 'must be an absolute URI such as urn:oid:1.2.3.4 or https://hospital.example/mrn');

/** A bearer secret short enough to guess is a configuration error, not a warning. */
const secret = z.string().min(16, 'must be at least 16 characters').optional();

function isTimezone(text: string): boolean {
  try {
    createOffsetResolver(text);
    return true;
  } catch {
    // The resolver rejects unknown zones and out-of-range offsets; that rejection is the answer.
    return false;
  }
}

export const settings = {
  orthancUrl: setting({
    env: 'ORTHANC_URL',
    flag: '--orthanc-url',
    description: 'Orthanc REST API root (change feed, /system readiness check)',
    defaultText: 'http://localhost:8042',
    schema: httpUrl.default('http://localhost:8042'),
  }),
  dicomWebUrl: setting({
    env: 'DICOMWEB_URL',
    flag: '--dicomweb-url',
    description: 'DICOMweb root for WADO-RS metadata and QIDO-RS reconciliation',
    defaultText: '$ORTHANC_URL/dicom-web',
    schema: httpUrl.optional(),
  }),
  orthancUsername: setting({
    env: 'ORTHANC_USERNAME',
    flag: '--orthanc-username',
    description: 'HTTP Basic user for Orthanc and DICOMweb (with ORTHANC_PASSWORD)',
    schema: z.string().optional(),
  }),
  orthancPassword: setting({
    env: 'ORTHANC_PASSWORD',
    flag: '--orthanc-password',
    description: 'HTTP Basic password for Orthanc and DICOMweb',
    schema: z.string().optional(),
    secret: true,
  }),
  port: setting({
    env: 'PORT',
    flag: '--port',
    description: 'HTTP port of the FHIR API (0 = any free port)',
    defaultText: '8080',
    schema: integer(0, 65535, 8080),
  }),
  host: setting({
    env: 'HOST',
    flag: '--host',
    description: 'Interface to listen on; loopback by default because the API serves PHI (the Docker image sets 0.0.0.0)',
    defaultText: '127.0.0.1',
    schema: z.string().min(1).default('127.0.0.1'),
  }),
  dataDir: setting({
    env: 'DATA_DIR',
    flag: '--data-dir',
    description: 'Folder of the SQLite store',
    defaultText: './data',
    schema: z.string().min(1).default('./data'),
  }),
  webhookSecret: setting({
    env: 'WEBHOOK_SECRET',
    flag: '--webhook-secret',
    description: 'Bearer secret Orthanc sends to /orthanc/*; unset = webhook routes answer 503',
    schema: secret,
    secret: true,
  }),
  apiToken: setting({
    env: 'API_TOKEN',
    flag: '--api-token',
    description: 'Static bearer token for reads, searches and the admin endpoints (simple mode; works beside OAuth 2.0)',
    schema: secret,
    secret: true,
  }),
  oauthIssuer: setting({
    env: 'OAUTH_ISSUER',
    flag: '--oauth-issuer',
    description: 'OAuth 2.0 mode: the authorization server whose JWT access tokens are accepted (their "iss"); needs OAUTH_AUDIENCE, OAUTH_TOKEN_URL and OAUTH_JWKS_URL or OAUTH_PUBLIC_KEY_FILE',
    schema: z.string().min(1).optional(),
  }),
  oauthAudience: setting({
    env: 'OAUTH_AUDIENCE',
    flag: '--oauth-audience',
    description: 'The "aud" access tokens must name, usually this API\'s public base URL',
    schema: z.string().min(1).optional(),
  }),
  oauthJwksUrl: setting({
    env: 'OAUTH_JWKS_URL',
    flag: '--oauth-jwks-url',
    description: 'JWKS of the issuer\'s signing keys (cached, fetched again when a token names an unknown key)',
    schema: httpUrl.optional(),
  }),
  oauthPublicKeyFile: setting({
    env: 'OAUTH_PUBLIC_KEY_FILE',
    flag: '--oauth-public-key-file',
    description: 'PEM public key of the issuer, instead of OAUTH_JWKS_URL',
    schema: z.string().min(1).optional(),
  }),
  oauthTokenUrl: setting({
    env: 'OAUTH_TOKEN_URL',
    flag: '--oauth-token-url',
    description: 'Token endpoint announced in /.well-known/smart-configuration and /metadata',
    schema: httpUrl.optional(),
  }),
  oauthAuthorizeUrl: setting({
    env: 'OAUTH_AUTHORIZE_URL',
    flag: '--oauth-authorize-url',
    description: 'Authorization endpoint announced for interactive (authorization code + PKCE) clients; unset = client credentials only',
    schema: httpUrl.optional(),
  }),
  oauthJwksCooldown: setting({
    env: 'OAUTH_JWKS_COOLDOWN',
    flag: '--oauth-jwks-cooldown',
    description: 'Least time between two JWKS fetches caused by unknown key ids',
    defaultText: '30s',
    schema: duration('30s'),
  }),
  oauthClockSkew: setting({
    env: 'OAUTH_CLOCK_SKEW',
    flag: '--oauth-clock-skew',
    description: 'Clock difference tolerated on a token\'s exp and nbf',
    defaultText: '30s',
    schema: duration('30s'),
  }),
  allowAnonymousReads: setting({
    env: 'ALLOW_ANONYMOUS_READS',
    flag: '--allow-anonymous-reads',
    description: 'true = requests without credentials may read and search even off loopback; without it the bridge refuses to start on a non-loopback HOST with neither API_TOKEN nor OAUTH_ISSUER',
    defaultText: 'false',
    schema: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((text) => text === 'true'),
  }),
  auditLog: setting({
    env: 'AUDIT_LOG',
    flag: '--audit-log',
    description: 'File the audit lines of every read, search and admin request are appended to (JSON lines, synced to disk); unset = the log only',
    schema: z.string().min(1).optional(),
  }),
  syncCron: setting({
    env: 'SYNC_CRON',
    flag: '--sync-cron',
    description: 'Cron schedule of the QIDO-RS reconciliation, or "off" (it also runs once at start)',
    defaultText: '*/15 * * * *',
    schema: z
      .string()
      .default('*/15 * * * *')
      .refine((text) => text === 'off' || cron.validate(text), 'must be a cron expression (e.g. */15 * * * *) or "off"'),
  }),
  fhirVersion: setting({
    env: 'FHIR_VERSION',
    flag: '--fhir-version',
    description: 'FHIR release of the stored resources: R4 or R5',
    defaultText: 'R4',
    schema: z.enum(['R4', 'R5']).default('R4'),
  }),
  timezone: setting({
    env: 'TIMEZONE',
    flag: '--timezone',
    description: 'IANA zone or fixed offset (+01:00) for DICOM times without Timezone Offset From UTC; unset = dates without offset',
    schema: z.string().refine(isTimezone, 'must be an IANA time zone (Europe/Berlin) or an offset (+01:00)').optional(),
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    flag: '--log-level',
    description: 'fatal, error, warn, info, debug, trace or silent',
    defaultText: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }),
  changesPollInterval: setting({
    env: 'CHANGES_POLL_INTERVAL',
    flag: '--changes-poll-interval',
    description: 'How often to read Orthanc /changes (500ms, 10s, 1m; 0 = off, for non-Orthanc sources)',
    defaultText: '5s',
    schema: duration('5s'),
  }),
  reconcileQuietPeriod: setting({
    env: 'RECONCILE_QUIET_PERIOD',
    flag: '--reconcile-quiet-period',
    description:
      'For a DICOMweb server without Orthanc\'s REST API (no IsStable): how long a study\'s instance count must hold still before it is stored and published',
    defaultText: '1m',
    schema: duration('1m'),
  }),
  deletionGuardShare: setting({
    env: 'DELETION_GUARD_SHARE',
    flag: '--deletion-guard-share',
    description:
      'A PACS listing that is empty or misses more than this share (0 to 1) of the stored studies deletes nothing until a person confirms with POST /admin/confirm-deletions',
    defaultText: '0.5',
    schema: z
      .string()
      .default('0.5')
      .refine((text) => /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(text), 'must be a number from 0 to 1, e.g. 0.5')
      .transform(Number),
  }),
  syncConcurrency: setting({
    env: 'SYNC_CONCURRENCY',
    flag: '--sync-concurrency',
    description: 'Studies whose metadata is fetched at the same time (a fetched study leaves its place while its stability is asked and it is stored)',
    defaultText: '4',
    schema: integer(1, 64, 4),
  }),
  maxInstancesListed: setting({
    env: 'MAX_INSTANCES_LISTED',
    flag: '--max-instances-listed',
    description:
      'Studies with more instances than this are stored and published without series[].instance[] (counts stay exact; 0: never list instances)',
    defaultText: String(DEFAULT_MAX_INSTANCES_LISTED),
    schema: integer(0, 1_000_000_000, DEFAULT_MAX_INSTANCES_LISTED),
  }),
  fhirServerUrl: setting({
    env: 'FHIR_SERVER_URL',
    flag: '--fhir-server-url',
    description: 'FHIR server to publish every ImagingStudy version to (conditional update by study UID); unset = no publishing',
    schema: httpUrl.optional(),
  }),
  fhirServerToken: setting({
    env: 'FHIR_SERVER_TOKEN',
    flag: '--fhir-server-token',
    description: 'Bearer token for FHIR_SERVER_URL',
    schema: z.string().optional(),
    secret: true,
  }),
  fhirServerUsername: setting({
    env: 'FHIR_SERVER_USERNAME',
    flag: '--fhir-server-username',
    description: 'HTTP Basic user for FHIR_SERVER_URL (with FHIR_SERVER_PASSWORD)',
    schema: z.string().optional(),
  }),
  fhirServerPassword: setting({
    env: 'FHIR_SERVER_PASSWORD',
    flag: '--fhir-server-password',
    description: 'HTTP Basic password for FHIR_SERVER_URL',
    schema: z.string().optional(),
    secret: true,
  }),
  fhirServerTimeout: setting({
    env: 'FHIR_SERVER_TIMEOUT',
    flag: '--fhir-server-timeout',
    description: 'Timeout of each request to FHIR_SERVER_URL',
    defaultText: '30s',
    schema: duration('30s'),
  }),
  pushMaxAttempts: setting({
    env: 'PUSH_MAX_ATTEMPTS',
    flag: '--push-max-attempts',
    description: "Failed sends after which a study's push is parked (listed in /push/status, retried by POST /push/retry); other studies never wait for it",
    defaultText: '5',
    schema: integer(1, 1000, 5),
  }),
  publicDicomWebUrl: setting({
    env: 'PUBLIC_DICOMWEB_URL',
    flag: '--public-dicomweb-url',
    description: "DICOMweb base URL as clients reach it: the address of the ImagingStudy's Endpoint",
    defaultText: '$DICOMWEB_URL',
    schema: httpUrl.optional(),
  }),
  patientIdSystem: setting({
    env: 'PATIENT_ID_SYSTEM',
    flag: '--patient-id-system',
    description: 'Patient.identifier.system when neither Issuer of Patient ID, its qualifiers nor ISSUER_SYSTEMS_FILE give one; unset = such a Patient stays contained, never matched on the FHIR server',
    schema: absoluteUri.optional(),
  }),
  accessionSystem: setting({
    env: 'ACCESSION_SYSTEM',
    flag: '--accession-system',
    description: 'identifier.system of Accession Numbers whose issuer gives none; unset = such an order stays contained',
    schema: absoluteUri.optional(),
  }),
  issuerSystemsFile: setting({
    env: 'ISSUER_SYSTEMS_FILE',
    flag: '--issuer-systems',
    description: 'JSON file mapping issuer texts (Issuer of Patient ID, Local Namespace Entity ID, scheme designators) to system URIs, checked at start',
    schema: z
      .string()
      .optional()
      .transform((path, context) => {
        if (path === undefined) return undefined;
        const loaded = loadIssuerSystemsFile(path);
        if (loaded.ok) return loaded.systems;
        for (const problem of loaded.problems) context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }),
  }),
  patientMode: setting({
    env: 'PATIENT_MODE',
    flag: '--patient-mode',
    description: 'create: a Patient absent on the FHIR server is created (never updated); existing: never created, the push is parked as patient-not-found',
    defaultText: 'create',
    schema: z.enum(['create', 'existing']).default('create'),
  }),
};

export type SettingKey = keyof typeof settings;
