/**
 * The shipped docker-compose.yml, run for real: Orthanc built from Debian's packages
 * (orthanc/Dockerfile) and the bridge (Dockerfile), with a test `.env` and only StableAge shortened
 * through Orthanc's configuration override file. The engine comes from scripts/docker-test-env.sh.
 */
import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../src/config/settings.js';
import { createStack, docker, dockerEnv, freeLowPorts, httpRequest, removeStaleProjects, type Stack } from '../support/docker-stack.js';
import { validateR4 } from '../support/fhir-validation.js';

const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const CT_STUDY_UID = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const MR = '/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm';

const STABLE_AGE_SECONDS = 2;
/** StableAge, the webhook and one conversion; generous for a loaded 2-core machine. */
const SYNC_DEADLINE_MS = (STABLE_AGE_SECONDS + 20) * 1000;
const ALLOWED_AET = 'D2F_TEST_SCU';
const PUBLIC_DICOMWEB_URL = 'https://pacs.example.org/dicom-web';
const INTERNAL_DICOMWEB_URL = 'http://orthanc:8042/dicom-web';
const secrets = {
  ORTHANC_ADMIN_PASSWORD: 'admin-password-for-tests',
  ORTHANC_PASSWORD: 'bridge-password-for-tests',
  WEBHOOK_SECRET: 'webhook-secret-for-tests-0123',
  API_TOKEN: 'api-token-for-tests-0123456789',
};

let stack: Stack | undefined;
let httpPort = 0;
let dicomPort = 0;
let bridgePort = 0;

function live(): Stack {
  if (stack === undefined) throw new Error('the stack did not start');
  return stack;
}

const bearer = { Authorization: `Bearer ${secrets.API_TOKEN}` };
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const admin = basic('admin', secrets.ORTHANC_ADMIN_PASSWORD);

function storescu(aet: string, file: string): { status: number | null; output: string } {
  const result = spawnSync('storescu', ['-v', '-aet', aet, '-aec', 'ORTHANC', '127.0.0.1', String(dicomPort), file], { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function readStudy(uid: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await httpRequest(`http://127.0.0.1:${bridgePort}/ImagingStudy/${uid}`, { headers: bearer });
  return { status: res.status, body: res.json<Record<string, unknown>>() };
}

/** The stored (synced) studies matching a UID: search answers from the store only. */
async function searchTotal(uid: string): Promise<number> {
  const res = await httpRequest(`http://127.0.0.1:${bridgePort}/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${uid}`)}`, { headers: bearer });
  expect(res.status).toBe(200);
  return res.json<{ total: number }>().total;
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

function reachable(host: string, port: number): Promise<boolean | string> {
  return new Promise((done) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/** An IPv4 address of this host other than loopback and the container bridges. */
function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (name === 'docker0' || name.startsWith('br-') || name.startsWith('veth')) continue;
    const address = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (address !== undefined) return address.address;
  }
  throw new Error('this host has no non-loopback IPv4 address to test from');
}

/** The Endpoint address the bridge writes: PUBLIC_DICOMWEB_URL once the bridge knows that setting. */
const bridgeReadsPublicUrl = Object.values(settings).some((setting) => setting.env === 'PUBLIC_DICOMWEB_URL');
const expectedEndpoint = bridgeReadsPublicUrl ? PUBLIC_DICOMWEB_URL : INTERNAL_DICOMWEB_URL;

function endpointAddresses(study: Record<string, unknown>): string[] {
  const contained = (study.contained ?? []) as Array<{ resourceType: string; address?: string }>;
  return contained.filter((r) => r.resourceType === 'Endpoint').map((r) => r.address ?? '');
}

describe('docker-compose.yml as shipped', () => {
  let version: { versionId: string; lastUpdated: string } | undefined;
  let orthancStudyId = '';

  beforeAll(async () => {
    const started = Date.now();
    const seconds = (from: number, to = Date.now()) => `${Math.round((to - from) / 1000)} s`;
    dockerEnv('start');
    const engineReady = Date.now();
    removeStaleProjects();
    [httpPort, dicomPort, bridgePort] = (await freeLowPorts(3)) as [number, number, number];
    stack = createStack({
      env: {
        ...secrets,
        ORTHANC_HTTP_PORT: String(httpPort),
        ORTHANC_DICOM_PORT: String(dicomPort),
        BRIDGE_PORT: String(bridgePort),
        DICOM_ALLOWED_AETS: `OTHER_SCU, ${ALLOWED_AET}`,
        PUBLIC_DICOMWEB_URL,
      },
      orthancOverride: { StableAge: STABLE_AGE_SECONDS },
    });
    const buildStarted = Date.now();
    stack.compose(['build', '--parallel'], 14 * 60_000);
    const upStarted = Date.now();
    stack.compose(['up', '-d'], 5 * 60_000);
    await stack.waitHealthy(['orthanc', 'bridge'], 3 * 60_000);
    // Where a cold run spends its time, for the CI log (not asserted: timings are not tests).
    console.info(
      `docker stack ready in ${seconds(started)}: engine and base images ${seconds(started, engineReady)}, ` +
        `image builds ${seconds(buildStarted, upStarted)}, up until healthy ${seconds(upStarted)}`,
    );
  }, 20 * 60_000);

  afterAll(() => {
    try {
      stack?.destroy();
    } finally {
      dockerEnv('stop');
    }
  }, 5 * 60_000);

  it('publishes every port on the loopback interface only', () => {
    for (const service of ['orthanc', 'bridge']) {
      const bindings = JSON.parse(docker(['inspect', '-f', '{{json .HostConfig.PortBindings}}', live().containerId(service)]).stdout) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
      const all = Object.values(bindings).flat();
      expect(all.length).toBeGreaterThan(0);
      for (const binding of all) expect(binding.HostIp).toBe('127.0.0.1');
    }
  });

  it('runs the bridge as the unprivileged node user under an init process', () => {
    const id = live().containerId('bridge');
    expect(docker(['exec', id, 'id', '-un']).stdout.trim()).toBe('node');
    expect(docker(['inspect', '-f', '{{.HostConfig.Init}}', id]).stdout.trim()).toBe('true');
  });

  it('refuses the API without the token', async () => {
    const res = await httpRequest(`http://127.0.0.1:${bridgePort}/ImagingStudy?identifier=${CT_STUDY_UID}`);
    expect(res.status).toBe(401);
  });

  it('syncs a study sent with storescu from an allowed AE title within StableAge + a few seconds', async () => {
    const sent = storescu(ALLOWED_AET, CT);
    expect(sent.status, sent.output).toBe(0);
    const sentAt = Date.now();
    await until('the bridge storing the study', SYNC_DEADLINE_MS, async () => ((await searchTotal(CT_STUDY_UID)) === 1 ? true : undefined));
    expect(Date.now() - sentAt).toBeLessThan(SYNC_DEADLINE_MS);
    const { status, body } = await readStudy(CT_STUDY_UID);
    expect(status).toBe(200);
    expect(body.id).toBe(CT_STUDY_UID);
    expect(validateR4(body)).toEqual([]);
    expect(endpointAddresses(body)).toEqual([expectedEndpoint]);
    version = body.meta as { versionId: string; lastUpdated: string };
  });

  it('lets a person log in to Orthanc as admin, with its own password; DICOMweb is loaded', async () => {
    const system = await httpRequest(`http://127.0.0.1:${httpPort}/system`, { headers: admin });
    expect(system.status).toBe(200);
    expect(system.json<{ Name: string }>().Name).toBe('dicom2fhir-orthanc');
    // The configured plugin path holds the DICOMweb plugin (the bridge syncs through it).
    expect((await httpRequest(`http://127.0.0.1:${httpPort}/plugins`, { headers: admin })).json<string[]>()).toContain('dicom-web');
    const wrong = await httpRequest(`http://127.0.0.1:${httpPort}/system`, { headers: basic('admin', secrets.ORTHANC_PASSWORD) });
    expect(wrong.status).toBe(401);
    const studies = (await httpRequest(`http://127.0.0.1:${httpPort}/studies`, { headers: admin })).json<string[]>();
    expect(studies).toHaveLength(1);
    orthancStudyId = studies[0] ?? '';
  });

  it('refuses a C-STORE from an AE title not in DICOM_ALLOWED_AETS, stores nothing and logs it', async () => {
    const sent = storescu('INTRUDER', MR);
    expect(sent.status).not.toBe(0);
    expect(sent.output).toMatch(/Refused/);
    const studies = (await httpRequest(`http://127.0.0.1:${httpPort}/studies`, { headers: admin })).json<string[]>();
    expect(studies).toEqual([orthancStudyId]);
    const logs = live().compose(['logs', '--no-color', 'orthanc']).stdout;
    expect(logs).toContain('refused a C-STORE from AE title "INTRUDER"');
  });

  it('does not answer on the DICOM, Orthanc or API port at a non-loopback address of the host', async () => {
    const address = hostAddress();
    // The address itself is reachable: a listener on every interface answers there.
    const control = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => control.listen(0, '0.0.0.0', done));
    const controlPort = (control.address() as { port: number }).port;
    expect(await reachable(address, controlPort)).toBe(true);
    control.close();
    for (const port of [dicomPort, httpPort, bridgePort]) {
      expect(await reachable('127.0.0.1', port)).toBe(true);
      expect(await reachable(address, port)).toBe('ECONNREFUSED');
    }
  });

  it('loses nothing when the bridge restarts', async () => {
    live().compose(['restart', 'bridge']);
    await live().waitHealthy(['bridge'], 120_000);
    const { status, body } = await readStudy(CT_STUDY_UID);
    expect(status).toBe(200);
    expect(body.meta).toEqual(version);
    expect(await searchTotal(CT_STUDY_UID)).toBe(1);
  });

  it('loses nothing across down and up with the volumes kept', async () => {
    live().compose(['down', '--timeout', '10']);
    live().compose(['up', '-d'], 5 * 60_000);
    await live().waitHealthy(['orthanc', 'bridge'], 3 * 60_000);
    const { status, body } = await readStudy(CT_STUDY_UID);
    expect(status).toBe(200);
    expect(body.meta).toEqual(version);
    const studies = (await httpRequest(`http://127.0.0.1:${httpPort}/studies`, { headers: admin })).json<string[]>();
    expect(studies).toEqual([orthancStudyId]);
  });

  it('answers 410 once the study is deleted in Orthanc', async () => {
    const deleted = await httpRequest(`http://127.0.0.1:${httpPort}/studies/${orthancStudyId}`, { method: 'DELETE', headers: admin });
    expect(deleted.status).toBe(200);
    await until('410 Gone', 20_000, async () => ((await readStudy(CT_STUDY_UID)).status === 410 ? true : undefined));
  });

  it('removes its containers, networks and volumes with down -v', () => {
    const before = live().leftovers();
    expect(before.containers).toHaveLength(2);
    expect(before.volumes).toHaveLength(2);
    live().compose(['down', '-v', '--timeout', '10']);
    expect(live().leftovers()).toEqual({ containers: [], volumes: [], networks: [] });
  });
});
