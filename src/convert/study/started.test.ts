import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../dicom/dataset.js';
import type { ConversionIssue } from '../options.js';
import { createOffsetResolver } from '../values/offset.js';
import { startedOf } from './started.js';

const SOURCE = { label: 'Study Date/Time', date: '00080020', time: '00080030' } as const;

function dataset(date?: string, time?: string, offset?: string): Dataset {
  const ds: Dataset = {};
  if (date !== undefined) ds['00080020'] = { vr: 'DA', Value: [date] };
  if (time !== undefined) ds['00080030'] = { vr: 'TM', Value: [time] };
  if (offset !== undefined) ds['00080201'] = { vr: 'SH', Value: [offset] };
  return ds;
}

describe('startedOf', () => {
  it.each([
    [dataset('20240102', '1011', '+0100'), undefined, '2024-01-02T10:11:00+01:00', []],
    [dataset('20240102', '1011'), 'Europe/Berlin', '2024-01-02T10:11:00+01:00', []],
    [dataset('20240102', '1011'), undefined, '2024-01-02', []],
    [dataset('20240102', '1011', '0100'), undefined, '2024-01-02', ['Timezone Offset From UTC (0008,0201) is malformed; ignored']],
    [dataset('20240102', '1011', 'bad'), 'Europe/Berlin', '2024-01-02T10:11:00+01:00', ['Timezone Offset From UTC (0008,0201) is malformed; ignored']],
    [dataset('20241502', '1011', '+0100'), undefined, undefined, ['Study Date/Time: the date is not a valid DA; omitted']],
    [dataset('20240102', '2561', '+0100'), undefined, '2024-01-02', ['Study Date/Time: the time is not a valid TM; date kept alone']],
    [dataset(undefined, '1011', '+0100'), undefined, undefined, []],
  ])('turns %j (zone %j) into %j, reporting %j', (ds, zone, expected, messages) => {
    const issues: ConversionIssue[] = [];
    const resolver = zone === undefined ? undefined : createOffsetResolver(zone);
    expect(startedOf(ds, SOURCE, resolver, issues)).toBe(expected);
    expect(issues.map((i) => i.message)).toEqual(messages);
  });
});
