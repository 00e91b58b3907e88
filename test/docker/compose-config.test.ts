/**
 * The shipped docker-compose.yml as docker-compose renders it (no engine needed): required
 * secrets, loopback publishing, overridable ports, healthchecks and start order.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

function compose(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker-compose', ['-f', resolve(REPO, 'docker-compose.yml'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 60_000,
  });
  if (result.error !== undefined) throw result.error;
  return result;
}

const required = {
  ORTHANC_ADMIN_PASSWORD: 'admin-pw-123456',
  ORTHANC_PASSWORD: 'orthanc-pw-123',
  WEBHOOK_SECRET: 'webhook-secret-0123456789',
  API_TOKEN: 'api-token-0123456789abc',
};

describe('docker-compose.yml', () => {
  it('is valid and wires the same webhook secret and bridge password into Orthanc and the bridge', () => {
    expect(compose(['config', '-q'], required)).toMatchObject({ status: 0, stderr: '' });
    const rendered = compose(['config'], required).stdout;
    expect(rendered.match(/WEBHOOK_SECRET: webhook-secret-0123456789/g)).toHaveLength(2);
    expect(rendered).toContain('DICOM2FHIR_URL: http://bridge:8080');
    expect(rendered).toContain('ORTHANC_DICOM2FHIR_PASSWORD: orthanc-pw-123');
    expect(rendered).toContain('ORTHANC_PASSWORD: orthanc-pw-123');
    expect(rendered).toContain('ORTHANC_ADMIN_PASSWORD: admin-pw-123456');
    expect(rendered).toContain('ORTHANC_URL: http://orthanc:8042');
    expect(rendered).toContain('API_TOKEN: api-token-0123456789abc');
  });

  it.each(Object.keys(required))('refuses to render without %s', (name) => {
    const env: Record<string, string> = { ...required };
    delete env[name];
    const result = compose(['config', '-q'], env);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`set ${name}`);
  });

  it('publishes on loopback at the default ports, each overridable, DICOM opted in to other interfaces by ORTHANC_DICOM_BIND', () => {
    const defaults = compose(['config'], required).stdout;
    expect(defaults).toContain('127.0.0.1:8042:8042/tcp');
    expect(defaults).toContain('127.0.0.1:4242:4242/tcp');
    expect(defaults).toContain('127.0.0.1:8080:8080/tcp');
    expect(defaults).not.toMatch(/- (0\.0\.0\.0:)?\d+:\d+/);
    const moved = compose(['config'], { ...required, ORTHANC_HTTP_PORT: '18042', ORTHANC_DICOM_PORT: '14242', BRIDGE_PORT: '18080' }).stdout;
    expect(moved).toContain('127.0.0.1:18042:8042/tcp');
    expect(moved).toContain('127.0.0.1:14242:4242/tcp');
    expect(moved).toContain('127.0.0.1:18080:8080/tcp');
    const open = compose(['config'], { ...required, ORTHANC_DICOM_BIND: '0.0.0.0' }).stdout;
    expect(open).toContain('0.0.0.0:4242:4242/tcp');
    expect(open).toContain('127.0.0.1:8042:8042/tcp');
  });

  it('passes the publishing, Endpoint and C-STORE settings through', () => {
    const rendered = compose(['config'], {
      ...required,
      FHIR_SERVER_URL: 'https://fhir.example.org/fhir',
      FHIR_SERVER_USERNAME: 'bridge',
      FHIR_SERVER_PASSWORD: 'fhir-pw',
      PUBLIC_DICOMWEB_URL: 'https://pacs.example.org/dicom-web',
      DICOM_ALLOWED_AETS: 'CT01,MR02',
    }).stdout;
    expect(rendered).toContain('FHIR_SERVER_URL: https://fhir.example.org/fhir');
    expect(rendered).toContain('FHIR_SERVER_USERNAME: bridge');
    expect(rendered).toContain('FHIR_SERVER_PASSWORD: fhir-pw');
    expect(rendered).toContain('PUBLIC_DICOMWEB_URL: https://pacs.example.org/dicom-web');
    expect(rendered).toContain('DICOM_ALLOWED_AETS: CT01,MR02');
  });

  it('starts the bridge once Orthanc is healthy, both with healthchecks and an init process, the bridge as node', () => {
    const source = readFileSync(resolve(REPO, 'docker-compose.yml'), 'utf8');
    expect(source).not.toMatch(/^version:/m);
    const rendered = compose(['config'], required).stdout;
    expect(rendered).toMatch(/depends_on:\n\s+orthanc:\n\s+condition: service_healthy/);
    expect(rendered.match(/healthcheck:/g)).toHaveLength(2);
    expect(rendered).toContain('/healthz');
    expect(rendered.match(/init: true/g)).toHaveLength(2);
    expect(rendered).toContain('user: node');
    expect(rendered).toContain('HOST: 0.0.0.0');
  });
});

describe('.env.example', () => {
  const example = readFileSync(resolve(REPO, '.env.example'), 'utf8');

  it('lists every variable docker-compose.yml reads, and nothing else', () => {
    const read = new Set([...readFileSync(resolve(REPO, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect([...listed].sort()).toEqual([...read].sort());
  });

  it('renders once its four secrets are filled in, with the shipped defaults', () => {
    const env = Object.fromEntries(
      [...example.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map(([, name, value]) => [name as string, (required as Record<string, string>)[name as string] ?? (value as string)]),
    );
    const rendered = compose(['config'], env);
    expect(rendered).toMatchObject({ status: 0 });
    expect(rendered.stdout).toContain('127.0.0.1:4242:4242/tcp');
    expect(rendered.stdout).toContain("SYNC_CRON: '*/15 * * * *'");
  });
});
