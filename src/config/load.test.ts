import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { parseDuration } from './duration.js';

describe('loadConfig', () => {
  it('fills every default from an empty environment and warns about the open routes', () => {
    const result = loadConfig({});
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config).toEqual({
      orthancUrl: 'http://localhost:8042',
      dicomWebUrl: 'http://localhost:8042/dicom-web',
      orthancUsername: undefined,
      orthancPassword: undefined,
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      webhookSecret: undefined,
      apiToken: undefined,
      syncCron: '*/15 * * * *',
      fhirVersion: 'R4',
      timezone: undefined,
      logLevel: 'info',
      changesPollInterval: 5000,
      syncConcurrency: 4,
      fhirServerUrl: undefined,
      fhirServerToken: undefined,
      fhirServerUsername: undefined,
      fhirServerPassword: undefined,
      fhirServerTimeout: 30_000,
    });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET is not set/),
      expect.stringMatching(/^API_TOKEN is not set/),
    ]);
  });

  it('reads every variable, derives the DICOMweb URL from ORTHANC_URL and treats empty values as unset', () => {
    const result = loadConfig({
      ORTHANC_URL: 'http://orthanc:8042/',
      ORTHANC_USERNAME: 'bridge',
      ORTHANC_PASSWORD: 'pw',
      PORT: '9090',
      HOST: '0.0.0.0',
      DATA_DIR: '/data',
      WEBHOOK_SECRET: 'w'.repeat(16),
      API_TOKEN: 'a'.repeat(32),
      SYNC_CRON: 'off',
      FHIR_VERSION: 'R5',
      TIMEZONE: 'Europe/Berlin',
      LOG_LEVEL: 'debug',
      CHANGES_POLL_INTERVAL: '500ms',
      SYNC_CONCURRENCY: '2',
      DICOMWEB_URL: '',
      FHIR_SERVER_URL: 'https://fhir.example.org/R4/',
      FHIR_SERVER_TOKEN: 't0ken',
      FHIR_SERVER_TIMEOUT: '5s',
    });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config).toMatchObject({
      orthancUrl: 'http://orthanc:8042',
      dicomWebUrl: 'http://orthanc:8042/dicom-web',
      port: 9090,
      host: '0.0.0.0',
      syncCron: 'off',
      fhirVersion: 'R5',
      timezone: 'Europe/Berlin',
      changesPollInterval: 500,
      syncConcurrency: 2,
      fhirServerUrl: 'https://fhir.example.org/R4',
      fhirServerToken: 't0ken',
      fhirServerTimeout: 5000,
    });
    expect(result.warnings).toEqual([]);
  });

  it('lists every problem at once, by variable name, without quoting secrets', () => {
    const result = loadConfig({
      ORTHANC_URL: 'ftp://orthanc',
      DICOMWEB_URL: 'not a url',
      ORTHANC_USERNAME: 'bridge',
      PORT: '70000',
      WEBHOOK_SECRET: 'short-secret',
      API_TOKEN: 'tiny',
      SYNC_CRON: '61 * * * *',
      FHIR_VERSION: 'R3',
      TIMEZONE: 'Mars/Olympus',
      LOG_LEVEL: 'loud',
      CHANGES_POLL_INTERVAL: 'soon',
      SYNC_CONCURRENCY: '0',
      FHIR_SERVER_URL: 'fhir.example.org',
      FHIR_SERVER_PASSWORD: 'fhir-secret',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['API_TOKEN', 'CHANGES_POLL_INTERVAL', 'DICOMWEB_URL', 'FHIR_SERVER_URL', 'FHIR_SERVER_USERNAME and FHIR_SERVER_PASSWORD must be set together', 'FHIR_VERSION', 'LOG_LEVEL', 'ORTHANC_URL', 'ORTHANC_USERNAME and ORTHANC_PASSWORD must be set together', 'PORT', 'SYNC_CONCURRENCY', 'SYNC_CRON', 'TIMEZONE', 'WEBHOOK_SECRET'].sort(),
    );
    expect(result.problems.join('\n')).not.toContain('short-secret');
    expect(result.problems.join('\n')).not.toContain('fhir-secret');
    expect(result.problems).toContain('PORT: must be an integer from 0 to 65535');
  });

  it('refuses the same value for the webhook secret and the API token', () => {
    const same = 's'.repeat(20);
    const result = loadConfig({ WEBHOOK_SECRET: same, API_TOKEN: same });
    expect(result).toEqual({ ok: false, problems: [expect.stringMatching(/^WEBHOOK_SECRET and API_TOKEN must differ/)] });
  });

  it('refuses FHIR server credentials without a URL, and a token together with a user', () => {
    expect(loadConfig({ FHIR_SERVER_TOKEN: 't' })).toEqual({ ok: false, problems: [expect.stringMatching(/need FHIR_SERVER_URL$/)] });
    const both = loadConfig({ FHIR_SERVER_URL: 'http://fhir:8080/fhir', FHIR_SERVER_TOKEN: 't', FHIR_SERVER_USERNAME: 'u', FHIR_SERVER_PASSWORD: 'p' });
    expect(both).toEqual({ ok: false, problems: [expect.stringMatching(/^FHIR_SERVER_TOKEN and FHIR_SERVER_USERNAME exclude each other/)] });
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3', 3000],
    ['0', 0],
    ['1.5s', 1500],
  ])('reads %s as %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '-1s', '5 days'])('refuses %j', (text) => expect(parseDuration(text)).toBeUndefined());
});
