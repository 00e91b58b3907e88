import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_OPTIONS, OUTPUT_OPTIONS_HELP, serialize, toConvertOptions, validateTimezone, writeOutput } from './output-options.js';
import { UsageError } from './usage-error.js';

describe('toConvertOptions', () => {
  it('applies the documented defaults when no option is given', () => {
    expect(toConvertOptions({})).toEqual({ fhirVersion: 'R4', format: 'imagingstudy', includeInstances: true, idStrategy: 'uid' });
  });

  it('maps every option to its converter field, accepting any letter case for enumerations', () => {
    expect(
      toConvertOptions({
        'fhir-version': 'r5',
        format: 'Bundle',
        'no-instances': true,
        'max-instances-listed': '5000',
        timezone: 'europe/berlin',
        id: 'UUID',
        'patient-id-system': 'urn:oid:1.2.3',
      }),
    ).toEqual({
      fhirVersion: 'R5',
      format: 'bundle',
      includeInstances: false,
      maxInstancesListed: 5000,
      timezone: 'Europe/Berlin',
      idStrategy: 'uuid',
      patientIdentifierSystem: 'urn:oid:1.2.3',
    });
  });

  it.each([
    [{ 'fhir-version': 'R3' }, /--fhir-version must be R4 or R5, got 'R3'/],
    [{ format: 'xml' }, /--format must be imagingstudy or bundle/],
    [{ id: 'random' }, /--id must be uid or uuid/],
    [{ timezone: 'Mars/Olympus' }, /--timezone is not a known IANA time zone/],
    [{ 'patient-id-system': 'hospital mrn' }, /--patient-id-system must be an absolute URI/],
    [{ out: '' }, /--out needs a file name/],
    [{ 'max-instances-listed': '-1' }, /--max-instances-listed must be a non-negative integer, got '-1'/],
    [{ 'max-instances-listed': '5k' }, /--max-instances-listed must be a non-negative integer/],
  ])('rejects %o with a usage error', (values, message) => {
    expect(() => toConvertOptions(values)).toThrow(UsageError);
    expect(() => toConvertOptions(values)).toThrow(message);
  });
});

describe('validateTimezone', () => {
  it.each([
    ['+01:00', '+01:00'],
    ['-05:30', '-05:30'],
    ['+14:00', '+14:00'],
    ['-12:00', '-12:00'],
    ['UTC', 'UTC'],
    ['America/New_York', 'America/New_York'],
  ])('accepts %s as %s', (input, expected) => {
    expect(validateTimezone(input)).toBe(expected);
  });

  it.each(['+15:00', '-12:30', '+01:60', '1:00', '', 'CEST+1'])('rejects %j', (input) => {
    expect(() => validateTimezone(input)).toThrow(UsageError);
  });
});

describe('OUTPUT_OPTIONS_HELP', () => {
  it('documents every shared option with its default', () => {
    const help = OUTPUT_OPTIONS_HELP.join('\n');
    for (const name of Object.keys(OUTPUT_OPTIONS)) expect(help).toContain(`--${name}`);
    expect(help.match(/\(default: /g)?.length).toBe(Object.keys(OUTPUT_OPTIONS).length);
  });
});

describe('writeOutput', () => {
  it('writes 2-space JSON with a trailing newline to the --out file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'd2f-out-'));
    try {
      await writeOutput({ resourceType: 'ImagingStudy', series: [{ uid: '1.2' }] }, join(dir, 'out.json'));
      expect(await readFile(join(dir, 'out.json'), 'utf8')).toBe(serialize({ resourceType: 'ImagingStudy', series: [{ uid: '1.2' }] }));
      expect(serialize({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends quietly when the reader of stdout closes the pipe, and fails on any other write error', async () => {
    const failing = (code: string) => ({
      write: (_text: string, callback: (error?: Error | null) => void) => callback(Object.assign(new Error(`write ${code}`), { code })),
    });
    await expect(writeOutput({}, undefined, failing('EPIPE'))).resolves.toBeUndefined();
    await expect(writeOutput({}, undefined, failing('EIO'))).rejects.toThrow('write EIO');
  });

  it('writes the serialized JSON to stdout when no --out is given', async () => {
    const written: string[] = [];
    await writeOutput({ a: 1 }, undefined, { write: (text: string, callback: (error?: Error | null) => void) => (written.push(text), callback()) });
    expect(written).toEqual(['{\n  "a": 1\n}\n']);
  });

  it('turns an unwritable --out path into a usage error naming the path', async () => {
    await expect(writeOutput({}, '/nonexistent-dir/out.json')).rejects.toThrow(/cannot write --out \/nonexistent-dir\/out.json: ENOENT/);
  });
});
