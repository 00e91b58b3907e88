/**
 * `npm run demo`: a throw-away Orthanc (Debian package, DICOMweb plugin, the repository's Lua
 * script) in a temporary folder, a few sample studies, and the bridge in this process. Prints
 * the URLs to try and runs until Ctrl-C; with `--once` or `DEMO_ONCE=1` it exits after printing
 * (for CI). `PORT` picks the bridge's port (default: a free one). Nothing is written outside the
 * temporary folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBridge } from '../src/bridge/app.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/index.js';
import { DICOMWEB_PLUGIN, ORTHANC_BINARY, freePort, startOrthanc } from '../test/support/orthanc.js';

const ROOT = resolve(import.meta.dirname, '..');
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const SYNC_TIMEOUT_MS = 60_000;

function say(line = ''): void {
  process.stdout.write(line + '\n');
}

/** Installs Orthanc when it is missing and we may (root); otherwise explains how. */
function ensureOrthanc(): boolean {
  if (existsSync(ORTHANC_BINARY) && existsSync(DICOMWEB_PLUGIN)) return true;
  if (process.getuid?.() !== 0) {
    process.stderr.write(`demo: Orthanc is not installed (${ORTHANC_BINARY}, ${DICOMWEB_PLUGIN}).\n  Install it with: sudo apt-get install -y orthanc orthanc-dicomweb\n`);
    return false;
  }
  say('Installing orthanc and orthanc-dicomweb with apt-get…');
  const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'orthanc', 'orthanc-dicomweb'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0 && existsSync(ORTHANC_BINARY);
}

/** pydicom's CT and MR test files when installed, and the repository's two-series CT sample. */
function sampleFiles(): string[][] {
  const studies: string[][] = [];
  for (const name of ['CT_small.dcm', 'MR_small.dcm']) {
    const file = join(PYDICOM_FILES, name);
    if (existsSync(file)) studies.push([file]);
  }
  const sample = join(ROOT, 'samples/ct-study');
  studies.push(readdirSync(sample).filter((f) => f.endsWith('.dcm')).map((f) => join(sample, f)));
  return studies;
}

async function main(): Promise<number> {
  const once = process.argv.includes('--once') || process.env.DEMO_ONCE === '1';
  if (!ensureOrthanc()) return 1;
  const work = mkdtempSync(join(tmpdir(), 'dicom2fhir-demo-'));
  const port = process.env.PORT !== undefined ? Number(process.env.PORT) : await freePort();
  const webhookSecret = `demo-${crypto.randomUUID()}`;
  const orthanc = await startOrthanc({
    luaScripts: [join(ROOT, 'orthanc/dicom2fhir.lua')],
    env: { DICOM2FHIR_URL: `http://127.0.0.1:${port}`, DICOM2FHIR_WEBHOOK_SECRET: webhookSecret },
    stableAgeSeconds: 2,
  });
  const loaded = loadConfig({
    ORTHANC_URL: orthanc.url,
    PORT: String(port),
    DATA_DIR: join(work, 'data'),
    WEBHOOK_SECRET: webhookSecret,
    SYNC_CRON: 'off',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const bridge = await startBridge(loaded.config, { logger: createLogger({ level: loaded.config.logLevel }) });
  const cleanup = async (): Promise<void> => {
    await bridge.stop();
    await orthanc.stop();
    rmSync(work, { recursive: true, force: true });
  };

  const uids: string[] = [];
  const orthancIds: string[] = [];
  for (const files of sampleFiles()) {
    const [studyId] = await orthanc.upload(files);
    if (studyId === undefined) throw new Error('Orthanc stored no study from the sample files');
    orthancIds.push(studyId);
    const study = (await fetch(`${orthanc.url}/studies/${studyId}`, { headers: orthanc.headers }).then((r) => r.json())) as { MainDicomTags: { StudyInstanceUID: string } };
    uids.push(study.MainDicomTags.StudyInstanceUID);
  }
  say(`Uploaded ${uids.length} studies to Orthanc; waiting for the stable-study webhooks…`);
  const started = Date.now();
  while (uids.some((uid) => bridge.store.get(uid) === undefined)) {
    if (Date.now() - started > SYNC_TIMEOUT_MS) {
      process.stderr.write(`demo: studies not synced within ${SYNC_TIMEOUT_MS / 1000} s; Orthanc log:\n${orthanc.log().slice(-4000)}\n`);
      await cleanup();
      return 1;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  say(`Synced ${uids.length} studies in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  const [first] = uids;
  say();
  say(`Orthanc:  ${orthanc.url}   (Explorer: ${orthanc.url}/app/explorer.html)`);
  say(`Bridge:   ${bridge.url}`);
  say();
  say('Try:');
  say(`  curl -s ${bridge.url}/ImagingStudy/${first}`);
  say(`  curl -s '${bridge.url}/ImagingStudy?identifier=urn:dicom:uid|urn:oid:${first}'`);
  say(`  curl -s '${bridge.url}/ImagingStudy?modality=CT&_count=1'`);
  say(`  curl -s ${bridge.url}/metadata`);
  say(`  curl -s ${bridge.url}/readyz`);
  say(`  curl -s -X DELETE ${orthanc.url}/studies/${orthancIds[0]}   # then the first GET answers 410`);
  say();
  if (once) {
    await cleanup();
    return 0;
  }
  say('Press Ctrl-C to stop.');
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await cleanup();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
