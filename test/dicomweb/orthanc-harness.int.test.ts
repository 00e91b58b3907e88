import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleOrthancFolders, startOrthanc, type OrthancHandle } from '../support/orthanc.js';

const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const CT = `${TEST_FILES}/CT_small.dcm`;
const MR = `${TEST_FILES}/MR_small.dcm`;

describe('Orthanc test harness', () => {
  let orthanc: OrthancHandle;

  beforeAll(async () => {
    orthanc = await startOrthanc();
  });
  afterAll(async () => {
    await orthanc?.stop();
  });

  it('serves the REST API and the DICOMweb plugin on a loopback port', async () => {
    expect(orthanc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(orthanc.dicomWebUrl).toBe(`${orthanc.url}/dicom-web`);
    const system = (await (await fetch(`${orthanc.url}/system`)).json()) as { Version: string };
    expect(system.Version).toMatch(/^1\./);
    const plugins = (await (await fetch(`${orthanc.url}/plugins`)).json()) as string[];
    expect(plugins).toContain('dicom-web');
  });

  it('returns one distinct Orthanc study id per uploaded study', async () => {
    const ids = await orthanc.upload([CT, MR, CT]);
    expect(ids).toHaveLength(2);
    const studies = (await (await fetch(`${orthanc.url}/studies`)).json()) as string[];
    expect([...studies].sort()).toEqual([...ids].sort());
  });

  it('keeps the stored studies across a graceful stop and a restart on the same port', async () => {
    const before = (await (await fetch(`${orthanc.url}/studies`)).json()) as string[];
    await orthanc.stop();
    await expect(fetch(`${orthanc.url}/system`)).rejects.toThrow();
    await orthanc.restart();
    const after = (await (await fetch(`${orthanc.url}/studies`)).json()) as string[];
    expect(after.sort()).toEqual(before.sort());
  });

  it('comes back with its data after being killed', async () => {
    const before = (await (await fetch(`${orthanc.url}/studies`)).json()) as string[];
    await orthanc.kill();
    await orthanc.restart();
    const after = (await (await fetch(`${orthanc.url}/studies`)).json()) as string[];
    expect(after.sort()).toEqual(before.sort());
  });
});

describe('Orthanc test harness with authentication', () => {
  it('refuses anonymous requests and accepts the configured user', async () => {
    const orthanc = await startOrthanc({ username: 'alice', password: 's3cret' });
    try {
      const anonymous = await fetch(`${orthanc.url}/system`);
      expect(anonymous.status).toBe(401);
      await anonymous.arrayBuffer();
      const authed = await fetch(`${orthanc.url}/system`, { headers: orthanc.headers });
      expect(authed.status).toBe(200);
      expect(((await authed.json()) as { Name: string }).Name).toBe('DICOM2FHIR-TEST');
      expect(await orthanc.upload([CT])).toHaveLength(1);
    } finally {
      await orthanc.stop();
    }
  });
});

describe('Orthanc test harness start-up failure', () => {
  it('includes Orthanc\'s log in the error when a Lua script is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dicom2fhir-badlua-'));
    const script = join(dir, 'broken.lua');
    writeFileSync(script, 'function OnStableStudy(\n');
    try {
      await expect(startOrthanc({ luaScripts: [script], startTimeoutMs: 15_000 })).rejects.toThrow(
        /Its log:\n[\s\S]*Cannot execute a Lua command/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Orthanc test harness clean-up', () => {
  it('removes the folders of test processes that are gone and keeps those of live ones', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = join(tmpdir(), `dicom2fhir-orthanc-stale-${dead}`);
    const live = join(tmpdir(), `dicom2fhir-orthanc-live-${process.pid}`);
    for (const [dir, pid] of [[stale, dead], [live, process.pid]] as const) {
      mkdirSync(join(dir, 'storage'), { recursive: true });
      writeFileSync(join(dir, 'owner.pid'), String(pid));
    }
    try {
      expect(removeStaleOrthancFolders()).toBeGreaterThanOrEqual(1);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      rmSync(live, { recursive: true, force: true });
      rmSync(stale, { recursive: true, force: true });
    }
  });
});
