/** Orthanc's answers a real Orthanc 1.10 gives only in faults (500, no route, not JSON); the normal path runs against a real Orthanc in test/faults. */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrthancRest } from './orthanc-rest.js';

const ORTHANC = 'http://orthanc.test:8042';
const ID = 'aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa';

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const rest = () => createOrthancRest({ orthancUrl: ORTHANC, auth: { username: 'u', password: 'p' } });

describe('Orthanc REST lookups', () => {
  it('finds a study by its UID, ignoring a series or instance with the same UID, with the credentials', async () => {
    nock(ORTHANC, { reqheaders: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } })
      .post('/tools/lookup', '1.2.3')
      .reply(200, [{ ID: 'bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb', Type: 'Series', Path: '/series/b' }, { ID, Type: 'Study', Path: `/studies/${ID}` }]);
    expect(await rest().lookupStudy('1.2.3')).toEqual({ kind: 'found', orthancId: ID });
  });

  it('says absent when Orthanc knows no study by that UID', async () => {
    nock(ORTHANC).post('/tools/lookup').reply(200, [{ ID, Type: 'Instance', Path: '/instances/a' }]);
    expect(await rest().lookupStudy('1.2.3')).toEqual({ kind: 'absent' });
  });

  it('says there is no Orthanc when the server has no lookup route or does not answer JSON', async () => {
    nock(ORTHANC).post('/tools/lookup').reply(404, 'Not Found').post('/tools/lookup').reply(200, '<html></html>');
    expect((await rest().lookupStudy('1.2.3')).kind).toBe('no-orthanc');
    expect((await rest().lookupStudy('1.2.3')).kind).toBe('no-orthanc');
  });

  it('throws when Orthanc is there but fails or refuses the credentials', async () => {
    nock(ORTHANC).post('/tools/lookup').reply(500, {}).post('/tools/lookup').reply(401, '');
    await expect(rest().lookupStudy('1.2.3')).rejects.toThrow(/HTTP 500/);
    await expect(rest().lookupStudy('1.2.3')).rejects.toThrow(/HTTP 401/);
  });

  it('reads IsStable, and undefined for a study Orthanc no longer has', async () => {
    nock(ORTHANC).get(`/studies/${ID}`).reply(200, { ID, IsStable: false }).get(`/studies/${ID}`).reply(404, {});
    expect(await rest().isStable(ID)).toBe(false);
    expect(await rest().isStable(ID)).toBeUndefined();
  });

  it('throws when a study answer carries no IsStable', async () => {
    nock(ORTHANC).get(`/studies/${ID}`).reply(200, { ID });
    await expect(rest().isStable(ID)).rejects.toThrow(/IsStable/);
  });
});
