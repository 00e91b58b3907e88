/**
 * Loads the configuration: environment (and flags, mapped onto the same variables) → defaults →
 * validation by one zod schema. A bad configuration lists every problem at once, so an operator
 * fixes them in one round rather than one start-up per mistake.
 */
import { z } from 'zod';
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
  return problems;
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
  if (values.apiToken === undefined) warnings.push('API_TOKEN is not set: ImagingStudy reads need no authentication');
  return { ok: true, config: { ...values, dicomWebUrl: values.dicomWebUrl ?? `${values.orthancUrl}/dicom-web` }, warnings };
}
