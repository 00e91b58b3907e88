import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DICOMWEB_PLUGIN, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const REPO = resolve(import.meta.dirname, '../..');
const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const CT_STUDY_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';

/** The shipped example, with only the container paths swapped for this machine's. */
function exampleConfig(): Record<string, unknown> {
  const config = JSON.parse(readFileSync(resolve(REPO, 'orthanc/orthanc.json'), 'utf8')) as Record<string, unknown>;
  expect(config.LuaScripts).toEqual(['/etc/orthanc/dicom2fhir.lua', '/etc/orthanc/allowed-aets.lua']);
  return {
    ...config,
    Plugins: [DICOMWEB_PLUGIN],
    LuaScripts: [resolve(REPO, 'orthanc/dicom2fhir.lua')],
    RemoteAccessAllowed: false,
  };
}

describe('example Orthanc configuration (orthanc/orthanc.json)', () => {
  let orthanc: OrthancHandle;

  beforeAll(async () => {
    orthanc = await startOrthanc({
      config: exampleConfig(),
      username: 'dicom2fhir',
      password: 'example-password',
      env: { ORTHANC_DICOM2FHIR_PASSWORD: 'example-password', ORTHANC_ADMIN_PASSWORD: 'example-admin-password', ORTHANC_NAME: 'EXAMPLE' },
    });
    await orthanc.upload([CT]);
  });
  afterAll(async () => {
    await orthanc?.stop();
  });

  it('takes the bridge user password from the environment and refuses others', async () => {
    const wrong = await fetch(`${orthanc.url}/system`, {
      headers: { Authorization: `Basic ${Buffer.from('dicom2fhir:wrong').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    const system = (await (await fetch(`${orthanc.url}/system`, { headers: orthanc.headers })).json()) as { Name: string };
    expect(system.Name).toBe('EXAMPLE');
  });

  it('answers WADO-RS study metadata with the full dataset, not only the indexed main tags', async () => {
    const res = await fetch(`${orthanc.dicomWebUrl}/studies/${CT_STUDY_UID}/metadata`, { headers: orthanc.headers });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Array<Record<string, { vr: string; Value?: unknown[] }>>;
    expect(body).toHaveLength(1);
    const [instance] = body;
    // Not in Orthanc's main DICOM tags: only a read of the stored file returns them.
    expect(instance?.['00181150']).toEqual({ vr: 'IS', Value: [1601] });
    expect(instance?.['00180060']).toEqual({ vr: 'DS', Value: [120] });
    expect(instance?.['00101002']?.vr).toBe('SQ');
  });
});
