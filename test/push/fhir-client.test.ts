/**
 * Faults a real FHIR server cannot be made to produce on demand (429 with Retry-After, a run of
 * 500s, a hanging response, a chosen OperationOutcome) are played by nock.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import type { Bundle, ImagingStudy } from 'fhir/r4';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFhirClient } from '../../src/push/fhir-client.js';
import { FhirServerError } from '../../src/push/fhir-server-error.js';

const BASE = 'http://fhir.test/fhir';
const bundle: Bundle = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [{ resource: { resourceType: 'ImagingStudy', status: 'available', subject: { display: 'x' } } as ImagingStudy, request: { method: 'PUT', url: 'ImagingStudy?identifier=urn:dicom:uid|urn:oid:1.2.3' } }],
};
const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201 Created' } }] };
const json = { 'content-type': 'application/fhir+json' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

describe('createFhirClient', () => {
  it('posts the transaction to the base URL with the bearer token and returns the response Bundle', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: 'Bearer s3cret' } })
      .post('', (body: Bundle) => body.type === 'transaction' && body.entry?.length === 1)
      .reply(200, response, json);
    const client = createFhirClient({ baseUrl: `${BASE}/`, auth: { kind: 'bearer', token: 's3cret' } });
    await expect(client.transaction(bundle)).resolves.toEqual(response);
    expect(scope.isDone()).toBe(true);
  });

  it('sends HTTP Basic credentials', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: `Basic ${Buffer.from('ann:pw:1').toString('base64')}` } })
      .post('')
      .reply(200, response, json);
    await createFhirClient({ baseUrl: BASE, auth: { kind: 'basic', username: 'ann', password: 'pw:1' } }).transaction(bundle);
    expect(scope.isDone()).toBe(true);
  });

  it('waits the Retry-After seconds of a 429 before trying again', async () => {
    nock(BASE).post('').reply(429, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled' }] }, { ...json, 'retry-after': '1' });
    nock(BASE).post('').reply(200, response, json);
    const waits: number[] = [];
    const started = Date.now();
    const client = createFhirClient({ baseUrl: BASE, onRetry: (event) => waits.push(event.delayMs) });
    await expect(client.transaction(bundle)).resolves.toEqual(response);
    expect(waits).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('retries 500s with growing delays and succeeds', async () => {
    nock(BASE).post('').times(3).reply(500, 'upstream broke');
    nock(BASE).post('').reply(200, response, json);
    const waits: number[] = [];
    const client = createFhirClient({
      baseUrl: BASE,
      retries: 3,
      backoff: { baseMs: 10, maxMs: 1000 },
      random: () => 1,
      onRetry: (event) => waits.push(event.delayMs),
    });
    await expect(client.transaction(bundle)).resolves.toEqual(response);
    expect(waits).toEqual([10, 20, 40]);
  });

  it('gives up after the configured retries with the status in the error', async () => {
    nock(BASE).post('').times(3).reply(503, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'database is restarting' }] }, json);
    const client = createFhirClient({ baseUrl: BASE, retries: 2, backoff: { baseMs: 1, maxMs: 5 } });
    const error = await client.transaction(bundle).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirServerError);
    expect((error as FhirServerError).status).toBe(503);
    expect((error as FhirServerError).attempts).toBe(3);
    expect((error as FhirServerError).message).toBe(`FHIR server ${BASE} answered 503 to the transaction (3 attempts): database is restarting`);
  });

  it('aborts a request that takes longer than the timeout and reports it', async () => {
    nock(BASE).post('').delay(2000).reply(200, response, json);
    const client = createFhirClient({ baseUrl: BASE, timeoutMs: 200, retries: 0 });
    const started = Date.now();
    const error = await client.transaction(bundle).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toBeInstanceOf(FhirServerError);
    expect((error as FhirServerError).status).toBeUndefined();
    expect((error as FhirServerError).message).toContain('no answer before the timeout');
  });

  it('does not retry a 400 and puts every OperationOutcome issue text in the message', async () => {
    const scope = nock(BASE)
      .post('')
      .once()
      .reply(
        400,
        {
          resourceType: 'OperationOutcome',
          issue: [
            { severity: 'error', code: 'invalid', details: { text: 'Invalid reference format' }, expression: ['Bundle.entry[2].resource.subject'] },
            { severity: 'error', code: 'required', diagnostics: 'ImagingStudy.status is required' },
          ],
        },
        json,
      );
    const client = createFhirClient({ baseUrl: BASE, retries: 3, backoff: { baseMs: 1, maxMs: 1 } });
    const error = (await client.transaction(bundle).catch((e: unknown) => e)) as FhirServerError;
    expect(scope.isDone()).toBe(true);
    expect(error.retryable).toBe(false);
    expect(error.issues).toEqual(['Invalid reference format (at Bundle.entry[2].resource.subject)', 'ImagingStudy.status is required']);
    expect(error.message).toContain('answered 400 to the transaction (1 attempt): Invalid reference format (at Bundle.entry[2].resource.subject); ImagingStudy.status is required');
  });

  it('sends a conditional delete with the search in the query string', async () => {
    const scope = nock(BASE).delete('/ImagingStudy').query({ identifier: 'urn:dicom:uid|urn:oid:1.2.3' }).reply(204);
    await createFhirClient({ baseUrl: BASE }).conditionalDelete('ImagingStudy', { identifier: 'urn:dicom:uid|urn:oid:1.2.3' });
    expect(scope.isDone()).toBe(true);
  });

  it('treats a conditional delete that finds nothing (404) as done', async () => {
    const scope = nock(BASE)
      .delete('/ImagingStudy')
      .query(true)
      .reply(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'no match' }] }, json);
    await expect(createFhirClient({ baseUrl: BASE }).conditionalDelete('ImagingStudy', { identifier: 'urn:dicom:uid|urn:oid:1.2.3' })).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it('fails a conditional delete the server forbids', async () => {
    nock(BASE).delete('/ImagingStudy').query(true).reply(403, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'delete not allowed' }] }, json);
    await expect(createFhirClient({ baseUrl: BASE }).conditionalDelete('ImagingStudy', { identifier: 'x' })).rejects.toThrow(
      `FHIR server ${BASE} answered 403 to DELETE ImagingStudy?… (1 attempt): delete not allowed`,
    );
  });

  it('reports a refused connection as unreachable after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    nock.enableNetConnect('127.0.0.1');
    const client = createFhirClient({ baseUrl: `http://127.0.0.1:${port}/fhir`, retries: 1, backoff: { baseMs: 1, maxMs: 1 } });
    const error = (await client.transaction(bundle).catch((e: unknown) => e)) as FhirServerError;
    nock.disableNetConnect();
    expect(error).toBeInstanceOf(FhirServerError);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`FHIR server http://127.0.0.1:${port}/fhir could not be reached for the transaction (2 attempts): ECONNREFUSED`);
  });
});
