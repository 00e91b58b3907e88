import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function compose(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('docker-compose', args, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 60_000 });
}

describe('docker-compose.yml', () => {
  it('is valid and wires the same webhook secret and password into Orthanc and the bridge', () => {
    const env = { ORTHANC_PASSWORD: 'orthanc-pw-123', WEBHOOK_SECRET: 'webhook-secret-0123456789' };
    expect(compose(['config', '-q'], env)).toMatchObject({ status: 0, stderr: '' });
    const rendered = compose(['config'], env).stdout;
    expect(rendered.match(/WEBHOOK_SECRET: webhook-secret-0123456789/g)).toHaveLength(2);
    expect(rendered).toContain('DICOM2FHIR_URL: http://bridge:8080');
    expect(rendered).toContain('ORTHANC_DICOM2FHIR_PASSWORD: orthanc-pw-123');
    expect(rendered).toContain('ORTHANC_PASSWORD: orthanc-pw-123');
    expect(rendered).toContain('ORTHANC_URL: http://orthanc:8042');
    expect(rendered).toMatch(/dicom2fhir\.lua:\/etc\/orthanc\/dicom2fhir\.lua:ro/);
  });

  it('refuses to render without the webhook secret', () => {
    const result = compose(['config', '-q'], { ORTHANC_PASSWORD: 'x' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set WEBHOOK_SECRET');
  });
});
