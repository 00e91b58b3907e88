import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function serve(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('dicom2fhir serve without credentials off loopback', () => {
  it('refuses to start (exit 2) and says how to fix it', () => {
    const result = serve({ HOST: '0.0.0.0', DATA_DIR: '/nonexistent/never-created' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('HOST 0.0.0.0 is not a loopback interface and neither API_TOKEN nor OAUTH_ISSUER is set');
    expect(result.stderr).toContain('ALLOW_ANONYMOUS_READS=true');
  });

  it('refuses incomplete OAuth settings before starting anything', () => {
    const result = serve({ HOST: '0.0.0.0', OAUTH_ISSUER: 'https://idp.example.org', DATA_DIR: '/nonexistent/never-created' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('OAuth 2.0 needs OAUTH_AUDIENCE, OAUTH_TOKEN_URL');
  });
});
