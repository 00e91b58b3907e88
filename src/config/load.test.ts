import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { parseDuration } from './duration.js';

describe('loadConfig', () => {
  it('reads the quiet period as a duration and the deletion guard share as a number from 0 to 1', () => {
    const result = loadConfig({ RECONCILE_QUIET_PERIOD: '90s', DELETION_GUARD_SHARE: '0.25' });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect([result.config.reconcileQuietPeriod, result.config.deletionGuardShare]).toEqual([90_000, 0.25]);
    const bad = loadConfig({ RECONCILE_QUIET_PERIOD: 'soon', DELETION_GUARD_SHARE: '1.5' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      expect.stringMatching(/^RECONCILE_QUIET_PERIOD: must be a duration/),
      expect.stringMatching(/^DELETION_GUARD_SHARE: must be a number from 0 to 1/),
    ]);
  });

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
      oauthIssuer: undefined,
      oauthAudience: undefined,
      oauthJwksUrl: undefined,
      oauthPublicKeyFile: undefined,
      oauthTokenUrl: undefined,
      oauthAuthorizeUrl: undefined,
      oauthJwksCooldown: 30_000,
      oauthClockSkew: 30_000,
      allowAnonymousReads: false,
      auditLog: undefined,
      syncCron: '*/15 * * * *',
      fhirVersion: 'R4',
      timezone: undefined,
      logLevel: 'info',
      changesPollInterval: 5000,
      reconcileQuietPeriod: 60_000,
      deletionGuardShare: 0.5,
      syncConcurrency: 4,
      maxInstancesListed: 5000,
      fhirServerUrl: undefined,
      fhirServerToken: undefined,
      fhirServerUsername: undefined,
      fhirServerPassword: undefined,
      fhirServerTimeout: 30_000,
      pushMaxAttempts: 5,
      publicDicomWebUrl: undefined,
      patientIdSystem: undefined,
      accessionSystem: undefined,
      issuerSystemsFile: undefined,
      patientMode: 'create',
    });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET is not set/),
      expect.stringMatching(/^Neither API_TOKEN nor OAUTH_ISSUER is set/),
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
      MAX_INSTANCES_LISTED: '0',
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
      maxInstancesListed: 0,
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

describe('loadConfig: access to the API', () => {
  const oauth = {
    OAUTH_ISSUER: 'https://idp.example.org/realms/imaging',
    OAUTH_AUDIENCE: 'https://imaging.example.org/fhir',
    OAUTH_JWKS_URL: 'https://idp.example.org/realms/imaging/certs',
    OAUTH_TOKEN_URL: 'https://idp.example.org/realms/imaging/token',
  };

  it('refuses a non-loopback HOST without API_TOKEN or OAuth unless ALLOW_ANONYMOUS_READS=true', () => {
    expect(loadConfig({ HOST: '0.0.0.0' })).toEqual({ ok: false, problems: [expect.stringMatching(/^HOST 0\.0\.0\.0 is not a loopback interface and neither API_TOKEN nor OAUTH_ISSUER is set/)] });
    expect(loadConfig({ HOST: '0.0.0.0', API_TOKEN: 'a'.repeat(20) }).ok).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0', ...oauth }).ok).toBe(true);
    const allowed = loadConfig({ HOST: '0.0.0.0', ALLOW_ANONYMOUS_READS: 'true' });
    expect(allowed.ok && allowed.config.allowAnonymousReads).toBe(true);
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(loadConfig({ HOST: host }).ok).toBe(true);
    expect(loadConfig({ ALLOW_ANONYMOUS_READS: 'yes' })).toEqual({ ok: false, problems: ['ALLOW_ANONYMOUS_READS: must be true or false'] });
  });

  it('reads the OAuth 2.0 settings with their defaults', () => {
    const result = loadConfig({ ...oauth, OAUTH_AUTHORIZE_URL: 'https://idp.example.org/auth', OAUTH_JWKS_COOLDOWN: '0', AUDIT_LOG: '/var/log/dicom2fhir/audit.jsonl' });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config).toMatchObject({
      oauthIssuer: oauth.OAUTH_ISSUER,
      oauthAudience: oauth.OAUTH_AUDIENCE,
      oauthJwksUrl: oauth.OAUTH_JWKS_URL,
      oauthTokenUrl: oauth.OAUTH_TOKEN_URL,
      oauthAuthorizeUrl: 'https://idp.example.org/auth',
      oauthJwksCooldown: 0,
      oauthClockSkew: 30_000,
      auditLog: '/var/log/dicom2fhir/audit.jsonl',
    });
    expect(result.warnings).toEqual([expect.stringMatching(/^WEBHOOK_SECRET/)]);
  });

  it('refuses incomplete OAuth settings, both key sources, and a key file that holds no public key', () => {
    expect(loadConfig({ OAUTH_ISSUER: oauth.OAUTH_ISSUER })).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^OAuth 2.0 needs OAUTH_AUDIENCE, OAUTH_TOKEN_URL/), 'OAuth 2.0 needs exactly one of OAUTH_JWKS_URL and OAUTH_PUBLIC_KEY_FILE'],
    });
    const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-config-'));
    writeFileSync(join(dir, 'not-a-key.pem'), 'hello');
    const both = loadConfig({ ...oauth, OAUTH_PUBLIC_KEY_FILE: join(dir, 'not-a-key.pem') });
    expect(both).toEqual({
      ok: false,
      problems: ['OAuth 2.0 needs exactly one of OAUTH_JWKS_URL and OAUTH_PUBLIC_KEY_FILE', expect.stringMatching(/^OAUTH_PUBLIC_KEY_FILE: .*not-a-key\.pem holds no PEM public key/)],
    });
    const missing = loadConfig({ ...oauth, OAUTH_JWKS_URL: undefined, OAUTH_PUBLIC_KEY_FILE: join(dir, 'absent.pem') });
    expect(missing).toEqual({ ok: false, problems: [expect.stringMatching(/^OAUTH_PUBLIC_KEY_FILE: cannot read .*absent\.pem/)] });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'issuer.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    expect(loadConfig({ ...oauth, OAUTH_JWKS_URL: undefined, OAUTH_PUBLIC_KEY_FILE: join(dir, 'issuer.pem') }).ok).toBe(true);
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

describe('loadConfig identity settings (SPEC §2.7)', () => {
  it('reads the issuer map, systems and patient mode', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'issuers-'));
    try {
      const file = join(dir, 'issuers.json');
      writeFileSync(file, '{"HOSP A": "urn:oid:1.2.3"}');
      const result = loadConfig({ ISSUER_SYSTEMS_FILE: file, PATIENT_ID_SYSTEM: 'https://h.example/mrn', PATIENT_MODE: 'existing', PUBLIC_DICOMWEB_URL: 'https://pacs.example/dicom-web/' });
      if (!result.ok) throw new Error(result.problems.join('\n'));
      expect(result.config).toMatchObject({
        issuerSystemsFile: { 'HOSP A': 'urn:oid:1.2.3' },
        patientIdSystem: 'https://h.example/mrn',
        patientMode: 'existing',
        publicDicomWebUrl: 'https://pacs.example/dicom-web',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists a bad issuer map, a relative system and an unknown mode together at start', () => {
    const result = loadConfig({ ISSUER_SYSTEMS_FILE: '/nonexistent/issuers.json', ACCESSION_SYSTEM: 'accessions', PATIENT_MODE: 'sometimes' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'ISSUER_SYSTEMS_FILE: cannot read /nonexistent/issuers.json: ENOENT',
        expect.stringMatching(/^ACCESSION_SYSTEM: must be an absolute URI/),
        expect.stringMatching(/^PATIENT_MODE: /),
      ]),
    );
  });
});
