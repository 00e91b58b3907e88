import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('npm run demo', () => {
  it('starts Orthanc and the bridge, syncs the sample studies, prints the URLs and exits with DEMO_ONCE=1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DEMO_ONCE: '1' },
      timeout: 120_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Synced 3 studies in [\d.]+ s\./);
    expect(result.stdout).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/ImagingStudy\/1\.3\.6\.1\.4\.1\.5962\.1\.2\.1\.20040119072730\.12322\n/);
    expect(result.stdout).toMatch(/curl -s -X DELETE http:\/\/127\.0\.0\.1:\d+\/studies\/[0-9a-f]{8}(-[0-9a-f]{8}){4} /);
    expect(result.stdout).not.toContain('Press Ctrl-C');
  });
});
