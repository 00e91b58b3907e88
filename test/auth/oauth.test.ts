import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Bundle, CapabilityStatement, OperationOutcome } from 'fhir/r4';
import type { BridgeStore } from '../../src/bridge/store/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createAccessTokenVerifier } from '../../src/server/auth/access-token.js';
import { createAuditLog, type AuditLog } from '../../src/server/audit/audit-log.js';
import { createHttpListener, type HttpAppDeps } from '../../src/server/index.js';
import { apiDeps, logLines, makeStudy, RecordingSync, tempStore } from '../support/server-fixtures.js';
import { accessToken, segment, signingKey, startIssuer, type SigningKey, type TestIssuer } from '../support/issuer.js';

const UID = '1.2.826.0.1.3680043.8.498.61';
const OTHER_UID = '1.2.826.0.1.3680043.8.498.62';
const API_TOKEN = 'api-token-0123456789abcdef';
const AUDIENCE = 'https://imaging.example.org/fhir';
const ADMIN = 'system/dicom2fhir.admin';
const READ_SEARCH = 'system/ImagingStudy.rs';

let key: SigningKey;
let issuer: TestIssuer;
let server: Server | undefined;
let store: BridgeStore | undefined;
let audit: AuditLog | undefined;

beforeAll(async () => {
  key = await signingKey('key-1');
  issuer = await startIssuer([key]);
});

afterAll(async () => {
  await issuer.close();
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  await audit?.close();
  store?.close();
  server = undefined;
  audit = undefined;
  store = undefined;
  issuer.published = [key];
  issuer.failWith(undefined);
});

interface Bridge {
  url: string;
  lines: Array<Record<string, unknown>>;
  auditFile: string;
  /** Calls of the parsing `store.get`, which only the routed read makes. */
  routedReads(): number;
  audits(): Array<Record<string, unknown>>;
}

async function start(options: { cooldownMs?: number; overrides?: Partial<HttpAppDeps> } = {}): Promise<Bridge> {
  const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-oauth-'));
  const opened = tempStore();
  store = opened;
  opened.put(makeStudy({ uid: UID, accession: 'ACC-SECRET-61' }));
  opened.put(makeStudy({ uid: OTHER_UID, accession: 'ACC-SECRET-62', modality: ['MR'] }));
  let routedReads = 0;
  const counted: BridgeStore = {
    ...opened,
    get(id) {
      routedReads += 1;
      return opened.get(id);
    },
  };
  const log = logLines();
  const logger = createLogger({ level: 'info', destination: log.destination });
  const auditFile = join(dir, 'audit.jsonl');
  audit = createAuditLog({ logger, file: auditFile });
  const verify = createAccessTokenVerifier({
    issuer: issuer.url,
    audience: AUDIENCE,
    jwksUrl: issuer.jwksUrl,
    jwksCooldownMs: options.cooldownMs ?? 0,
    clockSkewMs: 30_000,
  });
  const listener = createHttpListener({
    ...apiDeps(counted, { sync: new RecordingSync(opened) }),
    apiToken: API_TOKEN,
    oauth: { verify, discovery: { issuer: issuer.url, jwksUrl: issuer.jwksUrl, tokenUrl: `${issuer.url}/token` } },
    audit,
    push: { status: () => ({ pending: 2, failed: 0 }) },
    logger,
    ...options.overrides,
  });
  server = createServer(listener);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, lines: log.lines, auditFile, routedReads: () => routedReads, audits: () => log.lines.filter((line) => line.msg === 'audit') };
}

function token(options: Partial<Parameters<typeof accessToken>[0]> = {}): Promise<string> {
  return accessToken({ key, issuer: issuer.url, audience: AUDIENCE, scope: READ_SEARCH, ...options });
}

async function get(url: string, bearer?: string): Promise<{ status: number; challenge: string | null; body: unknown }> {
  const response = await fetch(url, bearer === undefined ? {} : { headers: { authorization: `Bearer ${bearer}` } });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
}

/** The audit lines written after `count` earlier ones, once the server closed the answers. */
async function newAudits(bridge: Bridge, count: number): Promise<Array<Record<string, unknown>>> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return bridge.audits().slice(count);
}

function refusal(status: number, error: string) {
  return { status, challenge: expect.stringContaining(`error="${error}"`), body: expect.objectContaining({ resourceType: 'OperationOutcome' }) };
}

describe('OAuth 2.0 access tokens', () => {
  it('serves a read and a search to a valid token and audits who, what and the outcome', async () => {
    const bridge = await start();
    const bearer = await token();
    const read = await get(`${bridge.url}/ImagingStudy/${UID}`, bearer);
    expect([read.status, (read.body as { id: string }).id]).toEqual([200, UID]);
    const search = await get(`${bridge.url}/ImagingStudy?modality=CT&_count=5`, bearer);
    expect([search.status, (search.body as Bundle).entry?.map((e) => e.resource?.id)]).toEqual([200, [UID]]);
    const lines = await newAudits(bridge, 0);
    expect(lines).toEqual([
      expect.objectContaining({ audit: true, who: 'dr-house', client: 'pacs-viewer', action: 'read', path: `GET /ImagingStudy/${UID}`, studies: [UID], outcome: 200 }),
      expect.objectContaining({ audit: true, who: 'dr-house', action: 'search', path: 'GET /ImagingStudy', studies: [UID], parameters: ['modality', '_count'], outcome: 200 }),
    ]);
    await audit?.flush();
    const fileLines = readFileSync(bridge.auditFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(fileLines).toEqual([
      expect.objectContaining({ time: expect.any(String), who: 'dr-house', action: 'read', studies: [UID], outcome: 200 }),
      expect.objectContaining({ who: 'dr-house', action: 'search', parameters: ['modality', '_count'], outcome: 200 }),
    ]);
    expect(readFileSync(bridge.auditFile, 'utf8')).not.toContain('CT');
    expect(JSON.stringify(bridge.lines)).not.toContain('ACC-SECRET');
  });

  it('audits version reads, history and POST _search with the parameter names only, never their values', async () => {
    const bridge = await start();
    store?.put(makeStudy({ uid: UID, accession: 'ACC-SECRET-61', modality: ['CT', 'SR'] }));
    const bearer = await token();
    const headers = { authorization: `Bearer ${bearer}` };
    expect((await get(`${bridge.url}/ImagingStudy/${UID}/_history`, bearer)).status).toBe(200);
    expect((await get(`${bridge.url}/ImagingStudy/${UID}/_history/1`, bearer)).status).toBe(200);
    const posted = await fetch(`${bridge.url}/ImagingStudy/_search`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'identifier=ACC-SECRET-61&_count=5',
    });
    expect([posted.status, ((await posted.json()) as Bundle).total]).toEqual([200, 1]);
    expect((await get(`${bridge.url}/ImagingStudy?patient:identifier=PID-SECRET-9`, bearer)).status).toBe(200);
    const lines = await newAudits(bridge, 0);
    expect(lines.map((l) => [l.action, l.path, l.studies, l.parameters, l.outcome])).toEqual([
      ['history', `GET /ImagingStudy/${UID}/_history`, [UID], undefined, 200],
      ['vread', `GET /ImagingStudy/${UID}/_history/1`, [UID], undefined, 200],
      ['search', 'POST /ImagingStudy/_search', [UID], ['identifier', '_count'], 200],
      ['search', 'GET /ImagingStudy', [], ['patient:identifier'], 200],
    ]);
    await audit?.flush();
    const written = readFileSync(bridge.auditFile, 'utf8');
    expect(written.trim().split('\n')).toHaveLength(4);
    expect(written).not.toMatch(/SECRET/);
    expect(JSON.stringify(bridge.lines)).not.toMatch(/SECRET/);
  });

  it('answers a token verified moments before on the direct read, without the router, and audits it alike', async () => {
    const bridge = await start();
    const bearer = await token();
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, bearer)).status).toBe(200);
    expect(bridge.routedReads()).toBe(1);
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, bearer)).status).toBe(200);
    expect(bridge.routedReads()).toBe(1);
    const lines = await newAudits(bridge, 0);
    expect(lines.map((l) => [l.who, l.action, l.path, l.studies, l.outcome])).toEqual([
      ['dr-house', 'read', `GET /ImagingStudy/${UID}`, [UID], 200],
      ['dr-house', 'read', `GET /ImagingStudy/${UID}`, [UID], 200],
    ]);
  });

  it.each([
    ['expired', { expiresIn: -120 }, /"exp" claim|expired/],
    ['not yet valid', { notBeforeIn: 120 }, /"nbf" claim/],
    ['for another audience', { audience: 'https://other.example.org/fhir' }, /"aud" claim/],
    ['from another issuer', { issuer: 'https://evil.example.org' }, /"iss" claim/],
  ] as const)('refuses a token %s with 401 invalid_token, audited', async (_name, options, reason) => {
    const bridge = await start();
    const answer = await get(`${bridge.url}/ImagingStudy/${UID}`, await token(options));
    expect(answer).toEqual(refusal(401, 'invalid_token'));
    expect((answer.body as OperationOutcome).issue[0]?.details?.text).toMatch(reason);
    expect(await newAudits(bridge, 0)).toEqual([
      expect.objectContaining({ who: 'anonymous', action: 'read', studies: [], outcome: 401, reason: 'invalid_token' }),
    ]);
  });

  it('accepts a token expired or not yet valid by less than the clock skew', async () => {
    const bridge = await start();
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, await token({ expiresIn: -10 }))).status).toBe(200);
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, await token({ notBeforeIn: 10 }))).status).toBe(200);
  });

  it('refuses a bad signature, alg none and an HMAC token keyed with the public key', async () => {
    const bridge = await start();
    const impostor = await signingKey(key.kid);
    const forged = await token({ key: impostor });
    const valid = await token();
    const [, payload] = valid.split('.');
    const unsigned = `${segment({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const hmacInput = `${segment({ alg: 'HS256', kid: key.kid, typ: 'JWT' })}.${payload}`;
    const hmac = `${hmacInput}.${createHmac('sha256', key.pem).update(hmacInput).digest('base64url')}`;
    const hmacJwk = `${hmacInput}.${createHmac('sha256', JSON.stringify(key.jwk)).update(hmacInput).digest('base64url')}`;
    for (const bad of [forged, unsigned, hmac, hmacJwk, 'not-a-jwt', `${valid}x`]) {
      expect(await get(`${bridge.url}/ImagingStudy/${UID}`, bad)).toEqual(refusal(401, 'invalid_token'));
    }
    expect((await newAudits(bridge, 0)).map((l) => [l.outcome, l.reason])).toEqual(Array(6).fill([401, 'invalid_token']));
  });

  it('refuses the same confusions with a PEM public key instead of a JWKS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-pem-'));
    writeFileSync(join(dir, 'issuer.pem'), key.pem);
    const verify = createAccessTokenVerifier({
      issuer: issuer.url,
      audience: AUDIENCE,
      publicKeyPem: readFileSync(join(dir, 'issuer.pem'), 'utf8'),
      jwksCooldownMs: 0,
      clockSkewMs: 30_000,
    });
    await expect(verify(await token())).resolves.toMatchObject({ subject: 'dr-house', clientId: 'pacs-viewer', scopes: [READ_SEARCH] });
    const [, payload] = (await token()).split('.');
    const hmacInput = `${segment({ alg: 'HS256', typ: 'JWT' })}.${payload}`;
    const hmac = `${hmacInput}.${createHmac('sha256', key.pem).update(hmacInput).digest('base64url')}`;
    await expect(verify(hmac)).rejects.toThrow(/not signed with an accepted algorithm/);
    await expect(verify(`${segment({ alg: 'none' })}.${payload}.`)).rejects.toThrow(/not signed with an accepted algorithm/);
    await expect(verify(await token({ key: await signingKey('other') }))).rejects.toThrow(/signature is invalid/);
  });

  it('refuses a token from an unknown key, then accepts it once the issuer publishes the rotated key', async () => {
    const bridge = await start({ cooldownMs: 0 });
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, await token())).status).toBe(200);
    const fetchesBefore = issuer.fetches();
    const rotated = await signingKey('key-2');
    const next = await token({ key: rotated });
    const refused = await get(`${bridge.url}/ImagingStudy/${UID}`, next);
    expect(refused).toEqual(refusal(401, 'invalid_token'));
    expect((refused.body as OperationOutcome).issue[0]?.details?.text).toMatch(/signing key is not among the issuer's keys/);
    expect(issuer.fetches()).toBe(fetchesBefore + 1);
    issuer.published = [rotated];
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, next)).status).toBe(200);
    expect(issuer.fetches()).toBe(fetchesBefore + 2);
  });

  it('fetches the JWKS again for an unknown kid at most once per cooldown', async () => {
    const bridge = await start({ cooldownMs: 600_000 });
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, await token())).status).toBe(200);
    const fetches = issuer.fetches();
    const rotated = await signingKey('key-3');
    issuer.published = [key, rotated];
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, await token({ key: rotated }))).status).toBe(401);
    expect(issuer.fetches()).toBe(fetches);
  });

  it('answers 503, not 401, while the issuer keys cannot be fetched', async () => {
    const bridge = await start();
    issuer.failWith(500);
    const answer = await get(`${bridge.url}/ImagingStudy/${UID}`, await token());
    expect([answer.status, (answer.body as OperationOutcome).issue[0]?.code]).toEqual([503, 'transient']);
    expect(bridge.lines.find((l) => l.msg === 'request failed')).toMatchObject({ status: 503 });
  });

  it('refuses a valid token without a fitting scope with 403 insufficient_scope, audited with its subject', async () => {
    const bridge = await start();
    const readOnly = await token({ scope: 'openid system/ImagingStudy.r' });
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, readOnly)).status).toBe(200);
    const search = await get(`${bridge.url}/ImagingStudy?modality=CT`, readOnly);
    expect(search).toEqual(refusal(403, 'insufficient_scope'));
    expect(search.challenge).toContain('scope="system/ImagingStudy.s"');
    const none = await get(`${bridge.url}/ImagingStudy/${UID}`, await token({ scope: 'openid system/Patient.rs', subject: 'svc-1' }));
    expect(none).toEqual(refusal(403, 'insufficient_scope'));
    const lines = await newAudits(bridge, 0);
    expect(lines.slice(1).map((l) => [l.who, l.action, l.outcome, l.reason, l.studies])).toEqual([
      ['dr-house', 'search', 403, 'insufficient_scope', []],
      ['svc-1', 'read', 403, 'insufficient_scope', []],
    ]);
  });

  it('refuses patient/ scopes with 403 saying why', async () => {
    const bridge = await start();
    const answer = await get(`${bridge.url}/ImagingStudy/${UID}`, await token({ scope: 'launch/patient patient/ImagingStudy.rs' }));
    expect(answer).toEqual(refusal(403, 'insufficient_scope'));
    expect((answer.body as OperationOutcome).issue[0]?.details?.text).toMatch(/patient\/ scopes are not supported/);
    expect(await newAudits(bridge, 0)).toEqual([expect.objectContaining({ who: 'dr-house', outcome: 403, reason: 'insufficient_scope' })]);
  });

  it('keeps the API token working beside OAuth, audited as api-token', async () => {
    const bridge = await start();
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, API_TOKEN)).status).toBe(200);
    expect((await get(`${bridge.url}/ImagingStudy`, API_TOKEN)).status).toBe(200);
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`)).status).toBe(401);
    const lines = await newAudits(bridge, 0);
    expect(lines.map((l) => [l.who, l.action, l.outcome, l.studies])).toEqual([
      ['api-token', 'read', 200, [UID]],
      ['api-token', 'search', 200, [UID, OTHER_UID]],
      ['anonymous', 'read', 401, []],
    ]);
  });

  it('opens the admin endpoints to the API token and the admin scope only', async () => {
    const bridge = await start();
    expect((await get(`${bridge.url}/push/status`, await token({ scope: ADMIN }))).status).toBe(200);
    expect((await get(`${bridge.url}/push/status`, API_TOKEN)).status).toBe(200);
    const reader = await get(`${bridge.url}/push/status`, await token({ scope: `${READ_SEARCH} system/*.cruds` }));
    expect(reader).toEqual(refusal(403, 'insufficient_scope'));
    expect(reader.challenge).toContain(`scope="${ADMIN}"`);
    expect((await get(`${bridge.url}/push/status`)).status).toBe(401);
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, await token({ scope: ADMIN }))).status).toBe(403);
    const lines = await newAudits(bridge, 0);
    expect(lines.map((l) => [l.who, l.action, l.outcome])).toEqual([
      ['dr-house', 'admin', 200],
      ['api-token', 'admin', 200],
      ['dr-house', 'admin', 403],
      ['anonymous', 'admin', 401],
      ['dr-house', 'read', 403],
    ]);
  });

  it('confirms held deletions for the admin scope or the API token only, never for a reader', async () => {
    let confirmations = 0;
    const bridge = await start({
      overrides: {
        deletions: {
          confirmDeletions: async () => {
            confirmations += 1;
            return { deleted: 1, kept: 0 };
          },
        },
      },
    });
    const post = async (bearer?: string): Promise<number> =>
      (await fetch(`${bridge.url}/admin/confirm-deletions`, { method: 'POST', headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } })).status;
    expect(await post(await token({ scope: `${READ_SEARCH} system/*.*` }))).toBe(403);
    expect(await post()).toBe(401);
    expect(await post('forged-token')).toBe(401);
    expect(confirmations).toBe(0);
    expect(await post(await token({ scope: ADMIN, subject: 'pacs-admin' }))).toBe(200);
    expect(await post(API_TOKEN)).toBe(200);
    expect(confirmations).toBe(2);
    expect((await newAudits(bridge, 0)).map((l) => [l.who, l.action, l.path, l.outcome])).toEqual([
      ['dr-house', 'admin', 'POST /admin/confirm-deletions', 403],
      ['anonymous', 'admin', 'POST /admin/confirm-deletions', 401],
      ['anonymous', 'admin', 'POST /admin/confirm-deletions', 401],
      ['pacs-admin', 'admin', 'POST /admin/confirm-deletions', 200],
      ['api-token', 'admin', 'POST /admin/confirm-deletions', 200],
    ]);
  });

  it('serves reads without credentials only when allowed, and never the admin endpoints then', async () => {
    const bridge = await start({ overrides: { anonymousReads: true, anonymousAdmin: false } });
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`)).status).toBe(200);
    expect((await get(`${bridge.url}/ImagingStudy/${UID}`, 'wrong-token')).status).toBe(401);
    expect((await get(`${bridge.url}/push/status`)).status).toBe(401);
    expect((await newAudits(bridge, 0)).map((l) => [l.who, l.outcome])).toEqual([
      ['anonymous', 200],
      ['anonymous', 401],
      ['anonymous', 401],
    ]);
  });

  it('declares SMART in the CapabilityStatement and serves /.well-known/smart-configuration', async () => {
    const bridge = await start({
      overrides: {
        oauth: {
          verify: async () => ({ scopes: [] }),
          discovery: { issuer: issuer.url, jwksUrl: issuer.jwksUrl, tokenUrl: `${issuer.url}/token`, authorizeUrl: `${issuer.url}/authorize` },
        },
      },
    });
    const metadata = (await get(`${bridge.url}/metadata`)).body as CapabilityStatement;
    expect(metadata.rest?.[0]?.security).toMatchObject({
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      extension: [
        {
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [
            { url: 'token', valueUri: `${issuer.url}/token` },
            { url: 'authorize', valueUri: `${issuer.url}/authorize` },
          ],
        },
      ],
    });
    const smart = await get(`${bridge.url}/.well-known/smart-configuration`);
    expect(smart).toMatchObject({
      status: 200,
      body: {
        issuer: issuer.url,
        jwks_uri: issuer.jwksUrl,
        authorization_endpoint: `${issuer.url}/authorize`,
        token_endpoint: `${issuer.url}/token`,
        grant_types_supported: ['authorization_code', 'client_credentials'],
        capabilities: expect.arrayContaining(['permission-v2', 'permission-v1', 'launch-standalone']),
        scopes_supported: expect.arrayContaining([READ_SEARCH, ADMIN]),
        code_challenge_methods_supported: ['S256'],
      },
    });
    expect((smart.body as { capabilities: string[] }).capabilities).not.toContain('permission-patient');
  });

  it('has no SMART discovery without OAuth', async () => {
    const bridge = await start({ overrides: { oauth: undefined } });
    expect((await get(`${bridge.url}/.well-known/smart-configuration`)).status).toBe(404);
    const metadata = (await get(`${bridge.url}/metadata`)).body as CapabilityStatement;
    expect(metadata.rest?.[0]?.security).toEqual({ description: expect.stringContaining('API token') });
  });
});
