/**
 * Access and audit suite: what the access check and the audit line cost the direct read of a
 * stored study. One process serves, a load process (`bridge/load.ts`) reads one study over 32
 * keep-alive connections; the variants alternate round by round on the same store, so machine
 * noise spreads over all of them:
 *
 * - `no audit`: API token check, audit lines dropped (the read path as it was before auditing);
 * - `API token`: the same with each audit line logged (pino to /dev/null);
 * - `API token + AUDIT_LOG`: also appended to a file and synced in the background;
 * - `OAuth + AUDIT_LOG`: a JWT access token (verified once, then remembered) instead of the API token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { destination } from 'pino';
import type { ImagingStudy } from 'fhir/r4';
import { openStudyStore, type BridgeStore } from '../src/bridge/store/index.js';
import { createLogger } from '../src/logging/index.js';
import { createAuditLog, createHttpListener, type AuditLog, type HttpAppDeps } from '../src/server/index.js';
import { firstJsonLine, spawnScript } from './bridge/processes.js';
import type { LoadResult } from './bridge/load.js';
import { formatInt, formatTable } from './table.js';

const API_TOKEN = 'bench-api-token-0123456789';
const UID = '1.2.826.0.1.3680043.8.498.999';
const AUDIENCE = 'https://bench.example.org/fhir';

export interface AccessVariantResult {
  label: string;
  requestsPerSec: number[];
  serverCpuMicrosPerRequest: number[];
}

export interface AccessSuiteOptions {
  rounds: number;
  connections: number;
  loadSeconds: number;
  log(line: string): void;
}

function study(instances: number): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    id: UID,
    status: 'available',
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${UID}` }],
    subject: { display: 'Anonymous' },
    numberOfSeries: 1,
    numberOfInstances: instances,
    series: [
      {
        uid: `${UID}.1`,
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
        instance: Array.from({ length: instances }, (_, i) => ({ uid: `${UID}.1.${i + 1}`, sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' }, number: i + 1 })),
      },
    ],
  };
}

interface Variant {
  label: string;
  authorization: string;
  deps: Partial<HttpAppDeps>;
}

async function oauthVariant(auditFile: string, logger: ReturnType<typeof createLogger>): Promise<{ variant: Variant; close(): Promise<void> }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256' };
  const jwks: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  const token = await new SignJWT({ scope: 'system/ImagingStudy.rs', client_id: 'bench' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  const { createAccessTokenVerifier } = await import('../src/server/auth/access-token.js');
  const verify = createAccessTokenVerifier({ issuer, audience: AUDIENCE, jwksUrl: `${issuer}/jwks`, jwksCooldownMs: 30_000, clockSkewMs: 30_000 });
  return {
    variant: {
      label: 'OAuth + AUDIT_LOG',
      authorization: `Bearer ${token}`,
      deps: { oauth: { verify, discovery: { issuer, tokenUrl: `${issuer}/token` } }, audit: createAuditLog({ logger, file: auditFile }) },
    },
    close: () => new Promise<void>((resolve) => jwks.close(() => resolve())),
  };
}

async function serve(store: BridgeStore, logger: ReturnType<typeof createLogger>, deps: Partial<HttpAppDeps>): Promise<{ url: string; close(): Promise<void> }> {
  const listener = createHttpListener({
    store,
    sync: { syncStudy: async () => ({ studyInstanceUid: UID, outcome: 'not-found' }), enqueue: () => undefined, deleteStudy: () => undefined, status: () => ({ queued: 0, inFlight: 0, failures: [] }), idle: async () => undefined, stop: async () => undefined },
    orthancStudies: { remember: () => undefined, lookup: () => undefined },
    reconcileSoon: () => undefined,
    checkSource: async () => undefined,
    fhirVersion: 'R4',
    apiToken: API_TOKEN,
    logger,
    ...deps,
  } as HttpAppDeps);
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function runAccessSuite(options: AccessSuiteOptions): Promise<AccessVariantResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-bench-access-'));
  const store = openStudyStore(join(dir, 'store'));
  store.put(study(200));
  const logger = createLogger({ destination: destination({ dest: '/dev/null', sync: false }) });
  const dropped: AuditLog = { record: () => undefined, problem: () => undefined, flush: async () => undefined, close: async () => undefined };
  const fileAudit = createAuditLog({ logger, file: join(dir, 'audit.jsonl') });
  const oauth = await oauthVariant(join(dir, 'audit-oauth.jsonl'), logger);
  const bearer = `Bearer ${API_TOKEN}`;
  const variants: Variant[] = [
    { label: 'no audit', authorization: bearer, deps: { audit: dropped } },
    { label: 'API token', authorization: bearer, deps: { audit: createAuditLog({ logger }) } },
    { label: 'API token + AUDIT_LOG', authorization: bearer, deps: { audit: fileAudit } },
    oauth.variant,
  ];
  const results = variants.map((v) => ({ label: v.label, requestsPerSec: [] as number[], serverCpuMicrosPerRequest: [] as number[] }));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [index, variant] of variants.entries()) {
        const server = await serve(store, logger, variant.deps);
        try {
          const cpuBefore = process.cpuUsage();
          const load = await firstJsonLine<LoadResult>(
            spawnScript('load.ts', [`${server.url}/ImagingStudy/${UID}`, String(options.connections), String(options.loadSeconds * 1000), '1000'], { ...process.env, LOAD_AUTHORIZATION: variant.authorization }),
          );
          const cpu = process.cpuUsage(cpuBefore);
          if (load.failures > 0) throw new Error(`${variant.label}: ${load.failures} failed requests`);
          const result = results[index] as AccessVariantResult;
          result.requestsPerSec.push(load.requestsPerSec);
          result.serverCpuMicrosPerRequest.push((cpu.user + cpu.system) / load.allRequests);
        } finally {
          await server.close();
        }
      }
      options.log(`  access round ${round + 1}: ${results.map((r) => `${r.label} ${Math.round(r.requestsPerSec[round] ?? 0)} req/s`).join('; ')}`);
    }
  } finally {
    await Promise.all([fileAudit.close(), oauth.variant.deps.audit?.close(), oauth.close()]);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export function formatAccessResults(results: readonly AccessVariantResult[]): string[] {
  const base = results[0];
  const table = formatTable(
    ['direct read, 200 instances', 'requests/s', 'vs no audit', 'server CPU µs/request'],
    results.map((r) => [
      r.label,
      formatInt(median(r.requestsPerSec)),
      base === undefined ? '-' : `${(median(r.requestsPerSec) / median(base.requestsPerSec)).toFixed(2)}x`,
      median(r.serverCpuMicrosPerRequest).toFixed(0),
    ]),
  );
  return [table];
}
