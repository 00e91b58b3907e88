import { describe, expect, it } from 'vitest';
import { formatStudySearch, parseStudySearch } from './parse.js';
import { OperationOutcomeError } from '../outcomes.js';

function problem(query: Record<string, string[]>, strict = false): string | undefined {
  try {
    parseStudySearch(query, strict);
    return undefined;
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    return `${error.outcome.issue[0]?.expression?.[0]}: ${error.outcome.issue[0]?.details?.text}`;
  }
}

describe('parseStudySearch', () => {
  it('defaults to 20 results from offset 0', () => {
    expect(parseStudySearch({}).search).toEqual({ count: 20, offset: 0 });
  });

  it('splits identifier system and value', () => {
    expect(parseStudySearch({ identifier: ['urn:dicom:uid|urn:oid:1.2.3'] }).search.identifier).toEqual({ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' });
    expect(parseStudySearch({ identifier: ['1.2.3'] }).search.identifier).toEqual({ value: '1.2.3' });
    expect(parseStudySearch({ identifier: ['|ACC42'] }).search.identifier).toEqual({ value: 'ACC42' });
  });

  it('reads modality as an OR list, with or without the DICOM system', () => {
    expect(parseStudySearch({ modality: ['CT,http://dicom.nema.org/resources/ontology/DCM|MR'] }).search.modality).toEqual(['CT', 'MR']);
  });

  it('reads started with prefixes, eq by default, repeated values combined', () => {
    expect(parseStudySearch({ started: ['ge2024-01-01', 'lt2025', '2024-03-05T10:00:00+01:00'] }).search.started).toEqual([
      { prefix: 'ge', value: '2024-01-01' },
      { prefix: 'lt', value: '2025' },
      { prefix: 'eq', value: '2024-03-05T10:00:00+01:00' },
    ]);
  });

  it('caps _count at 1000', () => {
    expect(parseStudySearch({ _count: ['5000'], _offset: ['40'] }).search).toEqual({ count: 1000, offset: 40 });
  });

  it('rejects bad values with the parameter named', () => {
    expect(problem({ _count: ['-1'] })).toBe('_count: Parameter _count must be a non-negative integer');
    expect(problem({ _offset: ['x'] })).toBe('_offset: Parameter _offset must be a non-negative integer');
    expect(problem({ started: ['sa2024'] })).toMatch(/^started: Prefix sa is not supported/);
    expect(problem({ started: ['2024-02-30'] })).toMatch(/^started: Parameter started must be a FHIR date/);
    expect(problem({ started: ['2024-02-03T10:00'] })).toMatch(/^started: /);
    expect(problem({ modality: ['ct'] })).toMatch(/^modality: /);
    expect(problem({ modality: ['http://loinc.org|CT'] })).toMatch(/^modality: .*only the DICOM code system/);
    expect(problem({ identifier: ['a', 'b'] })).toBe('identifier: Parameter identifier may appear only once');
    expect(problem({ identifier: ['urn:dicom:uid|'] })).toMatch(/^identifier: /);
  });

  it('ignores unknown parameters by default and rejects them under strict handling', () => {
    expect(parseStudySearch({ patient: ['123'], _format: ['json'] })).toEqual({ search: { count: 20, offset: 0 }, ignored: ['patient'] });
    expect(problem({ patient: ['123'] }, true)).toBe('patient: Unknown search parameter patient');
  });

  it('formats a search back into the query that reproduces it', () => {
    const { search } = parseStudySearch({ identifier: ['urn:dicom:uid|urn:oid:1.2'], modality: ['CT,MR'], started: ['ge2024'], _count: ['10'] });
    expect(formatStudySearch(search, 30)).toBe('identifier=urn%3Adicom%3Auid%7Curn%3Aoid%3A1.2&modality=CT%2CMR&started=ge2024&_count=10&_offset=30');
    expect(parseStudySearch(Object.fromEntries([...new URLSearchParams(formatStudySearch(search, 30))].map(([k, v]) => [k, [v]]))).search).toEqual({ ...search, offset: 30 });
  });
});
