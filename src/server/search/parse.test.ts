import { describe, expect, it } from 'vitest';
import { formatStudySearch, parseStudySearch } from './parse.js';
import { getStatus, OperationOutcomeError } from '../outcomes.js';

function problem(query: Record<string, string[]>, lenient = false): string | undefined {
  try {
    parseStudySearch(query, { lenient });
    return undefined;
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    expect(getStatus(error.outcome)).toBe(400);
    return error.outcome.issue.map((issue) => `${issue.expression?.[0]}: ${issue.details?.text}`).join(' / ');
  }
}

function conditions(query: Record<string, string[]>): unknown {
  return parseStudySearch(query).search.conditions;
}

describe('parseStudySearch', () => {
  it('defaults to 20 results from offset 0', () => {
    expect(parseStudySearch({}).search).toEqual({ count: 20, offset: 0 });
  });

  it('reads a token as system|code, code or |code, comma values as OR and repeats as AND', () => {
    expect(conditions({ identifier: ['urn:dicom:uid|urn:oid:1.2.3', '|ACC42,ACC43'] })).toEqual([
      { kind: 'token', param: 'identifier', anyOf: [{ system: 'urn:dicom:uid', code: 'urn:oid:1.2.3' }] },
      { kind: 'token', param: 'identifier', anyOf: [{ system: '', code: 'ACC42' }, { code: 'ACC43' }] },
    ]);
  });

  it('unescapes \\, and \\| inside a value', () => {
    expect(conditions({ identifier: ['http://x|a\\,b\\|c'] })).toEqual([{ kind: 'token', param: 'identifier', anyOf: [{ system: 'http://x', code: 'a,b|c' }] }]);
  });

  it('reads patient and subject by identifier in the modifier and chained forms', () => {
    const expected = [{ kind: 'token', param: 'patient', anyOf: [{ system: 'urn:pid', code: 'P1' }] }];
    for (const name of ['patient:identifier', 'patient.identifier', 'subject:identifier', 'subject.identifier', 'subject:Patient.identifier']) {
      expect(conditions({ [name]: ['urn:pid|P1'] })).toEqual(expected);
    }
  });

  it('refuses a plain patient reference and every other patient form, even under lenient handling', () => {
    expect(problem({ patient: ['Patient/PID-777'] }, true)).toMatch(/^patient: The reference patient=Patient\/PID-777 cannot be resolved/);
    expect(problem({ subject: ['PID-777'] }, true)).toMatch(/^subject: The reference subject=PID-777 cannot be resolved/);
    expect(problem({ 'patient.name': ['Doe'] }, true)).toMatch(/^patient\.name: .*by its identifier only/);
    expect(problem({ 'patient:text': ['Doe'] }, true)).toMatch(/^patient:text: /);
    expect(problem({ 'subject.identifier.system': ['x'] }, true)).toMatch(/^subject\.identifier\.system: .*by its identifier only/);
  });

  it('reads referrer by identifier and by name with :exact and :contains, basedon by identifier', () => {
    expect(conditions({ 'referrer.name': ['Émile'], 'referrer.name:exact': ['Smith'], 'referrer.name:contains': ['MIT'] })).toEqual([
      { kind: 'string', param: 'referrer.name', match: 'starts', anyOf: ['emile'] },
      { kind: 'string', param: 'referrer.name', match: 'exact', anyOf: ['Smith'] },
      { kind: 'string', param: 'referrer.name', match: 'contains', anyOf: ['mit'] },
    ]);
    expect(conditions({ 'referrer:identifier': ['|D1'], 'basedon.identifier': ['ACC1'] })).toEqual([
      { kind: 'token', param: 'referrer', anyOf: [{ system: '', code: 'D1' }] },
      { kind: 'token', param: 'basedon', anyOf: [{ code: 'ACC1' }] },
    ]);
    expect(problem({ basedon: ['ServiceRequest/1'] })).toMatch(/^basedon: The reference basedon=ServiceRequest\/1 cannot be resolved/);
  });

  it('reads dates with every prefix, eq by default, and :missing on any parameter', () => {
    expect(conditions({ started: ['ge2024-01-01,sa2025', 'eb2026-03-05T10:00:00+01:00'], '_lastUpdated:missing': ['false'], 'reason:missing': ['true'] })).toEqual([
      { kind: 'date', param: 'started', anyOf: [{ prefix: 'ge', value: '2024-01-01' }, { prefix: 'sa', value: '2025' }] },
      { kind: 'date', param: 'started', anyOf: [{ prefix: 'eb', value: '2026-03-05T10:00:00+01:00' }] },
      { kind: 'missing', param: '_lastUpdated', missing: false },
      { kind: 'missing', param: 'reason', missing: true },
    ]);
  });

  it('reads _sort, _total, _summary and _elements', () => {
    const parsed = parseStudySearch({ _sort: ['-_lastUpdated,started'], _total: ['none'], _elements: ['identifier,ImagingStudy.subject'] });
    expect(parsed.search.sort).toEqual([
      { key: '_lastUpdated', descending: true },
      { key: 'started', descending: false },
    ]);
    expect([parsed.search.total, parsed.elements]).toEqual([false, ['identifier', 'subject']]);
    const count = parseStudySearch({ _summary: ['count'], _count: ['5'] });
    expect([count.summary, count.search.count]).toEqual(['count', 0]);
  });

  it('caps _count at 1000', () => {
    expect(parseStudySearch({ _count: ['5000'], _offset: ['40'] }).search).toEqual({ count: 1000, offset: 40 });
  });

  it('rejects bad values with the parameter named', () => {
    expect(problem({ _count: ['-1'] })).toBe('_count: Parameter _count must be a non-negative integer');
    expect(problem({ _offset: ['x'] })).toBe('_offset: Parameter _offset must be a non-negative integer');
    expect(problem({ started: ['ap2024'] })).toMatch(/^started: Prefix ap is not supported/);
    expect(problem({ _lastUpdated: ['2024-02-30'] })).toMatch(/^_lastUpdated: Parameter _lastUpdated must be a FHIR date/);
    expect(problem({ started: ['2024-02-03T10:00'] })).toMatch(/^started: /);
    expect(problem({ modality: ['ct'] })).toMatch(/^modality: /);
    expect(problem({ series: ['1.2.x'] })).toMatch(/^series: .*DICOM UID/);
    expect(problem({ instance: ['01..2'] })).toMatch(/^instance: .*DICOM UID/);
    expect(problem({ 'dicom-class': ['urn:oid:abc'] })).toMatch(/^dicom-class: .*DICOM UID/);
    expect(problem({ status: ['done'] })).toMatch(/^status: .*registered, available/);
    expect(problem({ _id: ['a/b'] })).toMatch(/^_id: /);
    expect(problem({ identifier: ['urn:dicom:uid|'] })).toMatch(/^identifier: /);
    expect(problem({ 'modality:missing': ['yes'] })).toMatch(/^modality:missing: /);
    expect(problem({ _sort: ['description'] })).toMatch(/^_sort: /);
    expect(problem({ _summary: ['true'] })).toMatch(/^_summary: /);
    expect(problem({ _total: ['all'] })).toMatch(/^_total: /);
    expect(problem({ _elements: ['identifier,nonsense'] })).toMatch(/^_elements: _elements: nonsense is not an element/);
    expect(problem({ _count: ['1', '2'] })).toBe('_count: Parameter _count may appear only once');
  });

  it('rejects unknown parameters and unsupported modifiers, naming every one, and ignores them under lenient handling', () => {
    expect(problem({ foo: ['1'], _include: ['ImagingStudy:subject'], 'modality:not': ['CT'] })).toMatch(
      /^foo: Unknown or unsupported search parameter foo .* \/ _include: .* \/ modality:not: /,
    );
    expect(parseStudySearch({ foo: ['1'], 'modality:not': ['CT'], modality: ['MR'], _format: ['json'] }, { lenient: true })).toEqual({
      search: { count: 20, offset: 0, conditions: [{ kind: 'token', param: 'modality', anyOf: [{ code: 'MR' }] }] },
      applied: [['modality', 'MR']],
      ignored: ['foo', 'modality:not'],
    });
  });

  it('formats a search back into the query that reproduces it', () => {
    const parsed = parseStudySearch({ identifier: ['urn:dicom:uid|urn:oid:1.2'], modality: ['CT,MR'], started: ['ge2024', 'lt2025'], _sort: ['-started'], _count: ['10'] });
    expect(formatStudySearch(parsed, 30)).toBe(
      'identifier=urn%3Adicom%3Auid%7Curn%3Aoid%3A1.2&modality=CT%2CMR&started=ge2024&started=lt2025&_sort=-started&_count=10&_offset=30',
    );
    const again: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(formatStudySearch(parsed, 30))) (again[k] ??= []).push(v);
    expect(parseStudySearch(again).search).toEqual({ ...parsed.search, offset: 30 });
  });
});
