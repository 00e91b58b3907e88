import type { ImagingStudy } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../dicom/dataset.js';
import { convertStudy } from './convert.js';

const ui = (value: string) => ({ vr: 'UI', Value: [value] });

/** `count` CT instances in two series of one study. */
function study(count: number): Dataset[] {
  return Array.from({ length: count }, (_, i) => ({
    '0020000D': ui('1.2.3'),
    '0020000E': ui(`1.2.3.${(i % 2) + 1}`),
    '00080018': ui(`1.2.3.9.${i + 1}`),
    '00080016': ui('1.2.840.10008.5.1.4.1.1.2'),
    '00080060': { vr: 'CS', Value: ['CT'] },
    '00200013': { vr: 'IS', Value: [i + 1] },
  }));
}

const listed = (resource: unknown): number =>
  ((resource as ImagingStudy).series ?? []).reduce((n, s) => n + (s.instance?.length ?? 0), 0);

describe('maxInstancesListed', () => {
  it('lists every instance of a study at the limit', () => {
    const conversion = convertStudy(study(6), { maxInstancesListed: 6 });
    expect(listed(conversion.resource)).toBe(6);
    expect(conversion.issues).toEqual([]);
  });

  it('omits series[].instance[] above the limit, keeping exact counts, and says so', () => {
    const conversion = convertStudy(study(7), { maxInstancesListed: 6 });
    const resource = conversion.resource as ImagingStudy;
    expect(listed(resource)).toBe(0);
    expect(resource.numberOfInstances).toBe(7);
    expect(resource.series?.map((s) => s.numberOfInstances)).toEqual([4, 3]);
    expect(conversion.issues).toEqual([
      { code: 'instances-not-listed', message: '7 instances, more than the 6 listed at most: series[].instance[] omitted, counts kept' },
    ]);
  });

  it('counts a duplicated SOP instance once, as numberOfInstances does', () => {
    const datasets = study(6);
    datasets.push({ ...datasets[0]! });
    const conversion = convertStudy(datasets, { maxInstancesListed: 6 });
    expect(listed(conversion.resource)).toBe(6);
  });

  it('gives the same output as includeInstances: false once over the limit, and 0 never lists', () => {
    expect(JSON.stringify(convertStudy(study(3), { maxInstancesListed: 0 }).resource)).toBe(
      JSON.stringify(convertStudy(study(3), { includeInstances: false }).resource),
    );
  });
});
