/** Request details of the plain Orthanc GET; nock stands in for Orthanc (a reset connection cannot be had from it on demand). */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrthancGet } from './orthanc-get.js';

const ORTHANC = 'http://orthanc.test:8042';
const socketError = (code: string): Error => Object.assign(new Error(`socket error ${code}`), { code });

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('Orthanc GET', () => {
  it('answers the status and body, asking uncompressed JSON with the credentials', async () => {
    nock(ORTHANC, { reqheaders: { 'accept-encoding': 'identity', accept: 'application/json', authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } })
      .get('/studies/x')
      .reply(200, { IsStable: true })
      .get('/studies/y')
      .reply(404, 'Unknown resource');
    const get = createOrthancGet({ baseURL: `${ORTHANC}/`, timeoutMs: 1000, auth: { username: 'u', password: 'p' } });
    expect(await get('/studies/x')).toEqual({ status: 200, body: '{"IsStable":true}' });
    expect(await get('/studies/y')).toEqual({ status: 404, body: 'Unknown resource' });
  });

  it('sends a request again once when its connection was reset before any answer', async () => {
    nock(ORTHANC).get('/studies/x').replyWithError(socketError('ECONNRESET'));
    nock(ORTHANC).get('/studies/x').reply(200, { IsStable: false });
    expect(await createOrthancGet({ baseURL: ORTHANC, timeoutMs: 1000 })('/studies/x')).toEqual({ status: 200, body: '{"IsStable":false}' });
    expect(nock.isDone()).toBe(true);
  });

  it('reports a second reset of the same request, and any other network error at once', async () => {
    nock(ORTHANC).get('/studies/x').times(2).replyWithError(socketError('ECONNRESET'));
    nock(ORTHANC).get('/studies/y').replyWithError(socketError('ECONNREFUSED'));
    const get = createOrthancGet({ baseURL: ORTHANC, timeoutMs: 1000 });
    await expect(get('/studies/x')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(get('/studies/y')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(nock.isDone()).toBe(true);
  });

  it('gives up on an answer that does not start within the timeout', async () => {
    nock(ORTHANC).get('/studies/x').delay(500).reply(200, {});
    await expect(createOrthancGet({ baseURL: ORTHANC, timeoutMs: 50 })('/studies/x')).rejects.toThrow('no answer within 50 ms');
  });
});
