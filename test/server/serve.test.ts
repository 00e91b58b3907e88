import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseServeArgs, serveHelp } from '../../src/cli/commands/serve.js';
import { settings } from '../../src/config/index.js';

describe('dicom2fhir serve options', () => {
  it('documents every setting with its flag, variable and default in --help', () => {
    const help = serveHelp();
    for (const s of Object.values(settings)) {
      expect(help).toContain(s.flag);
      expect(help).toContain(s.env);
      if (s.defaultText !== undefined) expect(help).toContain(`(default: ${s.defaultText})`);
    }
  });

  it('maps --flag value and --flag=value onto the environment variables', () => {
    expect(parseServeArgs(['--port', '9000', '--orthanc-url=http://o:8042', '--api-token', 'a=b'])).toEqual({
      help: false,
      env: { PORT: '9000', ORTHANC_URL: 'http://o:8042', API_TOKEN: 'a=b' },
      problems: [],
    });
  });

  it('reports unknown options and missing values', () => {
    expect(parseServeArgs(['--nope', '1', '--port'])).toMatchObject({ problems: ['unknown option --nope', 'unknown option 1', '--port needs a value'] });
  });

  it('exits 2 listing every configuration problem before starting anything', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', 'x', '--sync-cron', 'never'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, FHIR_VERSION: 'R3' },
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT: must be an integer from 0 to 65535');
    expect(result.stderr).toContain('SYNC_CRON: must be a cron expression');
    expect(result.stderr).toContain('FHIR_VERSION:');
  });
});

describe('README', () => {
  it('documents every environment variable of serve', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of Object.values(settings)) expect(readme).toContain(`\`${s.env}\``);
  });
});
