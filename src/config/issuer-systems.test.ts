import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIssuerSystemsFile, parseIssuerSystems } from './issuer-systems.js';

const dir = mkdtempSync(join(tmpdir(), 'issuer-systems-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseIssuerSystems', () => {
  it('accepts issuer texts mapped to absolute URIs', () => {
    expect(parseIssuerSystems({ 'HOSP A': 'urn:oid:1.2.3', RIS: 'https://ris.example/acc' })).toEqual({
      ok: true,
      systems: { 'HOSP A': 'urn:oid:1.2.3', RIS: 'https://ris.example/acc' },
    });
  });
  it('lists every entry whose system is not an absolute URI', () => {
    expect(parseIssuerSystems({ A: 'hospital-a', B: 42, C: 'urn:oid:1.2' })).toEqual({
      ok: false,
      problems: [
        'entry 1: the system must be an absolute URI (urn:oid:…, https://…), got "hospital-a"',
        'entry 2: the system must be an absolute URI (urn:oid:…, https://…), got 42',
      ],
    });
  });
  it('refuses an empty issuer text, an empty map and a non-object', () => {
    expect(parseIssuerSystems({ ' ': 'urn:oid:1' })).toMatchObject({ ok: false, problems: ['entry 1: the issuer text is empty'] });
    expect(parseIssuerSystems({})).toMatchObject({ ok: false, problems: ['maps no issuer'] });
    expect(parseIssuerSystems(['urn:oid:1'])).toMatchObject({ ok: false });
  });
});

describe('loadIssuerSystemsFile', () => {
  it('reads a valid file', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, '{"HOSP A": "urn:oid:1.2.3"}');
    expect(loadIssuerSystemsFile(path)).toEqual({ ok: true, systems: { 'HOSP A': 'urn:oid:1.2.3' } });
  });
  it('names a missing file and invalid JSON', () => {
    expect(loadIssuerSystemsFile(join(dir, 'missing.json'))).toEqual({ ok: false, problems: [`cannot read ${join(dir, 'missing.json')}: ENOENT`] });
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"a": ');
    const result = loadIssuerSystemsFile(path);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problems[0]).toContain(`${path} is not valid JSON`);
  });
});
