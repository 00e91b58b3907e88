import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src/bridge/app.js';
import { loadConfig } from '../../src/config/index.js';
import { logLines, makeStudy } from '../support/server-fixtures.js';
import { createLogger } from '../../src/logging/index.js';
import { accessToken, signingKey, startIssuer, type SigningKey, type TestIssuer } from '../support/issuer.js';

const UID = '1.2.826.0.1.3680043.8.498.71';
const AUDIENCE = 'https://imaging.example.org/fhir';

let key: SigningKey;
let issuer: TestIssuer;
let bridge: Bridge | undefined;

beforeAll(async () => {
  key = await signingKey('bridge-key');
  issuer = await startIssuer([key]);
});

afterAll(async () => {
  await issuer.close();
});

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

/** The bridge as `serve` builds it from its variables; no Orthanc is needed to read a stored study. */
async function serve(env: Record<string, string>): Promise<{ bridge: Bridge; auditFile: string; lines: Array<Record<string, unknown>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-bridge-access-'));
  const auditFile = join(dir, 'audit.jsonl');
  const loaded = loadConfig({
    ORTHANC_URL: 'http://127.0.0.1:9',
    DATA_DIR: join(dir, 'data'),
    PORT: '0',
    SYNC_CRON: 'off',
    CHANGES_POLL_INTERVAL: '0',
    AUDIT_LOG: auditFile,
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const log = logLines();
  bridge = await startBridge(loaded.config, { logger: createLogger({ destination: log.destination }) });
  bridge.store.put(makeStudy({ uid: UID, accession: 'ACC-SECRET-71' }));
  return { bridge, auditFile, lines: log.lines };
}

function token(scope: string): Promise<string> {
  return accessToken({ key, issuer: issuer.url, audience: AUDIENCE, scope, subject: 'svc-archive', clientId: 'archive' });
}

describe('dicom2fhir serve with OAuth 2.0 and AUDIT_LOG', () => {
  it('validates tokens from the configured JWKS and writes the audit file, synced by the time it stops', async () => {
    const { bridge: running, auditFile } = await serve({
      OAUTH_ISSUER: issuer.url,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_JWKS_URL: issuer.jwksUrl,
      OAUTH_TOKEN_URL: `${issuer.url}/token`,
      OAUTH_JWKS_COOLDOWN: '0',
    });
    const read = await fetch(`${running.url}/ImagingStudy/${UID}`, { headers: { authorization: `Bearer ${await token('system/ImagingStudy.rs')}` } });
    expect(read.status).toBe(200);
    const patient = await fetch(`${running.url}/ImagingStudy/${UID}`, { headers: { authorization: `Bearer ${await token('patient/ImagingStudy.rs')}` } });
    expect(patient.status).toBe(403);
    const none = await fetch(`${running.url}/ImagingStudy/${UID}`);
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="dicom2fhir"']);
    const smart = (await (await fetch(`${running.url}/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
    expect(smart).toMatchObject({ issuer: issuer.url, jwks_uri: issuer.jwksUrl, token_endpoint: `${issuer.url}/token` });
    await running.stop();
    bridge = undefined;
    const audits = readFileSync(auditFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audits.map((a) => [a.who, a.client, a.action, a.studies, a.outcome])).toEqual([
      ['svc-archive', 'archive', 'read', [UID], 200],
      ['svc-archive', 'archive', 'read', [], 403],
      ['anonymous', undefined, 'read', [], 401],
    ]);
  });

  it('validates tokens against OAUTH_PUBLIC_KEY_FILE and keeps API_TOKEN beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-pem-'));
    writeFileSync(join(dir, 'issuer.pem'), key.pem);
    const apiToken = 'api-token-0123456789abcdef';
    const { bridge: running, lines } = await serve({
      HOST: '0.0.0.0',
      API_TOKEN: apiToken,
      OAUTH_ISSUER: issuer.url,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_PUBLIC_KEY_FILE: join(dir, 'issuer.pem'),
      OAUTH_TOKEN_URL: `${issuer.url}/token`,
    });
    const url = running.url.replace('0.0.0.0', '127.0.0.1');
    const fetchesBefore = issuer.fetches();
    expect((await fetch(`${url}/ImagingStudy/${UID}`, { headers: { authorization: `Bearer ${await token('user/ImagingStudy.read')}` } })).status).toBe(200);
    expect((await fetch(`${url}/ImagingStudy/${UID}`, { headers: { authorization: `Bearer ${apiToken}` } })).status).toBe(200);
    expect((await fetch(`${url}/ImagingStudy/${UID}`)).status).toBe(401);
    expect(issuer.fetches()).toBe(fetchesBefore);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.filter((l) => l.msg === 'audit').map((l) => [l.who, l.outcome])).toEqual([
      ['svc-archive', 200],
      ['api-token', 200],
      ['anonymous', 401],
    ]);
    expect(JSON.stringify(lines)).not.toContain('ACC-SECRET');
  });
});
