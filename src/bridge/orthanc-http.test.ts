/** Request details of the Orthanc REST client; nock stands in for Orthanc (a reset connection cannot be had from it on demand). */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrthancHttp } from './orthanc-http.js';

const ORTHANC = 'http://orthanc.test:8042';

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const socketError = (code: string): Error => Object.assign(new Error(`socket error ${code}`), { code });

describe('Orthanc REST client', () => {
  it('asks for uncompressed answers, with the caller’s headers and credentials', async () => {
    nock(ORTHANC, { reqheaders: { 'accept-encoding': 'identity', accept: 'application/json', authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } })
      .get('/changes')
      .query({ since: '0' })
      .reply(200, { Changes: [], Done: true, Last: 0 });
    const http = createOrthancHttp({ baseURL: ORTHANC, timeoutMs: 1000, auth: { username: 'u', password: 'p' }, defaults: { headers: { Accept: 'application/json' } } });
    const response = await http.get('/changes', { params: { since: 0 } });
    expect(response.data).toEqual({ Changes: [], Done: true, Last: 0 });
  });

  it('sends a request again once when its connection was reset before any answer', async () => {
    nock(ORTHANC).get('/studies/x').replyWithError(socketError('ECONNRESET'));
    nock(ORTHANC).get('/studies/x').reply(200, { IsStable: true });
    const http = createOrthancHttp({ baseURL: ORTHANC, timeoutMs: 1000 });
    expect((await http.get('/studies/x')).data).toEqual({ IsStable: true });
    expect(nock.isDone()).toBe(true);
  });

  it('reports a second reset of the same request, and any other network error at once', async () => {
    nock(ORTHANC).get('/studies/x').times(2).replyWithError(socketError('ECONNRESET'));
    nock(ORTHANC).get('/studies/y').replyWithError(socketError('ECONNREFUSED'));
    const http = createOrthancHttp({ baseURL: ORTHANC, timeoutMs: 1000 });
    await expect(http.get('/studies/x')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(http.get('/studies/y')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(nock.isDone()).toBe(true);
  });

  it('does not follow a redirect', async () => {
    nock(ORTHANC).get('/studies/x').reply(302, '', { Location: `${ORTHANC}/elsewhere` });
    const http = createOrthancHttp({ baseURL: ORTHANC, timeoutMs: 1000, defaults: { validateStatus: () => true } });
    expect((await http.get('/studies/x')).status).toBe(302);
  });
});
