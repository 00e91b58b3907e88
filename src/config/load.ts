/**
 * Loads the configuration: environment (and flags, mapped onto the same variables) → defaults →
 * validation by one zod schema. A bad configuration lists every problem at once, so an operator
 * fixes them in one round rather than one start-up per mistake.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isLoopbackHost } from './loopback.js';
import { settings, type SettingKey } from './settings.js';

type Parsed = { [K in SettingKey]: z.output<(typeof settings)[K]['schema']> };

/** The validated configuration; `dicomWebUrl` is resolved against `orthancUrl`. */
export type Config = Omit<Parsed, 'dicomWebUrl'> & { dicomWebUrl: string };

export type LoadResult = { ok: true; config: Config; warnings: string[] } | { ok: false; problems: string[] };

const keys = Object.keys(settings) as SettingKey[];

const schema = z.object(Object.fromEntries(keys.map((key) => [key, settings[key].schema])) as { [K in SettingKey]: (typeof settings)[K]['schema'] });

/** An empty variable counts as unset (compose files often write `API_TOKEN=`). */
function read(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Rules spanning several settings, checked on the raw values so they are listed with the rest. */
function crossChecks(config: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if ((config.orthancUsername === undefined) !== (config.orthancPassword === undefined)) {
    problems.push('ORTHANC_USERNAME and ORTHANC_PASSWORD must be set together');
  }
  if ((config.fhirServerUsername === undefined) !== (config.fhirServerPassword === undefined)) {
    problems.push('FHIR_SERVER_USERNAME and FHIR_SERVER_PASSWORD must be set together');
  }
  if (config.fhirServerToken !== undefined && config.fhirServerUsername !== undefined) {
    problems.push('FHIR_SERVER_TOKEN and FHIR_SERVER_USERNAME exclude each other: give a bearer token or a user and password');
  }
  const fhirCredentials = [config.fhirServerToken, config.fhirServerUsername, config.fhirServerPassword].some((v) => v !== undefined);
  if (fhirCredentials && config.fhirServerUrl === undefined) {
    problems.push('FHIR_SERVER_TOKEN, FHIR_SERVER_USERNAME and FHIR_SERVER_PASSWORD need FHIR_SERVER_URL');
  }
  if (config.webhookSecret !== undefined && config.webhookSecret === config.apiToken) {
    problems.push('WEBHOOK_SECRET and API_TOKEN must differ (a reader must not be able to trigger syncs and deletions)');
  }
  problems.push(...oauthChecks(config), ...anonymousChecks(config));
  return problems;
}

const OAUTH_KEYS = ['oauthIssuer', 'oauthAudience', 'oauthJwksUrl', 'oauthPublicKeyFile', 'oauthTokenUrl', 'oauthAuthorizeUrl'] as const;

function publicKeyProblem(path: string): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    return `OAUTH_PUBLIC_KEY_FILE: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`;
  }
  try {
    createPublicKey(pem);
    return undefined;
  } catch (error) {
    return `OAUTH_PUBLIC_KEY_FILE: ${path} holds no PEM public key (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** OAuth 2.0 mode is all or nothing: issuer, audience, token URL and exactly one source of keys. */
function oauthChecks(config: Record<string, string | undefined>): string[] {
  if (OAUTH_KEYS.every((key) => config[key] === undefined)) return [];
  const problems: string[] = [];
  const missing = (['oauthIssuer', 'oauthAudience', 'oauthTokenUrl'] as const).filter((key) => config[key] === undefined).map((key) => settings[key].env);
  if (missing.length > 0) problems.push(`OAuth 2.0 needs ${missing.join(', ')} (set together with OAUTH_ISSUER, OAUTH_AUDIENCE, OAUTH_TOKEN_URL and OAUTH_JWKS_URL or OAUTH_PUBLIC_KEY_FILE)`);
  if ((config.oauthJwksUrl === undefined) === (config.oauthPublicKeyFile === undefined)) {
    problems.push('OAuth 2.0 needs exactly one of OAUTH_JWKS_URL and OAUTH_PUBLIC_KEY_FILE');
  }
  if (config.oauthPublicKeyFile !== undefined) {
    const problem = publicKeyProblem(config.oauthPublicKeyFile);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

/** Reads without credentials are served on loopback, or elsewhere only when explicitly allowed. */
function anonymousChecks(config: Record<string, string | undefined>): string[] {
  const credentials = config.apiToken !== undefined || config.oauthIssuer !== undefined;
  const host = config.host ?? (settings.host.defaultText as string);
  if (credentials || config.allowAnonymousReads === 'true' || isLoopbackHost(host)) return [];
  return [
    `HOST ${host} is not a loopback interface and neither API_TOKEN nor OAUTH_ISSUER is set: every client that reaches it could read every study. ` +
      'Set API_TOKEN (or OAuth 2.0), listen on 127.0.0.1, or set ALLOW_ANONYMOUS_READS=true to serve reads without authentication on purpose',
  ];
}

export function loadConfig(env: Record<string, string | undefined>): LoadResult {
  const input = Object.fromEntries(keys.map((key) => [key, read(env, settings[key].env)]));
  const parsed = schema.safeParse(input);
  const problems = crossChecks(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0] as SettingKey | undefined;
      problems.push(`${key === undefined ? 'configuration' : settings[key].env}: ${issue.message}`);
    }
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const values = parsed.data as Parsed;
  const warnings: string[] = [];
  if (values.webhookSecret === undefined) warnings.push('WEBHOOK_SECRET is not set: the Orthanc webhook routes answer 503; the change feed and reconciliation still sync');
  if (values.apiToken === undefined && values.oauthIssuer === undefined) {
    warnings.push('Neither API_TOKEN nor OAUTH_ISSUER is set: ImagingStudy reads and the admin endpoints need no authentication');
  } else if (values.allowAnonymousReads) {
    warnings.push('ALLOW_ANONYMOUS_READS=true: requests without credentials may read and search; the admin endpoints still need credentials');
  }
  return { ok: true, config: { ...values, dicomWebUrl: values.dicomWebUrl ?? `${values.orthancUrl}/dicom-web` }, warnings };
}
