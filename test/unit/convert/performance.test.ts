import { describe, expect, it } from 'vitest';
import { convertStudy } from '../../../src/convert/index.js';
import type { Dataset } from '../../../src/dicom/dataset.js';
import { ctInstance, num, shuffled, text, withElements } from './datasets.js';

const SERIES = 12;
const PER_SERIES = 1000;

/** 12 series × 1,000 CT images, each dataset carrying the full patient/study/order module. */
function largeStudy(): Dataset[] {
  const out: Dataset[] = [];
  for (let s = 1; s <= SERIES; s += 1) {
    for (let i = 1; i <= PER_SERIES; i += 1) {
      out.push(
        withElements(ctInstance(i), {
          '0020000E': text('UI', `1.2.826.0.1.3680043.8.498.1.${s}`),
          '00080018': text('UI', `1.2.826.0.1.3680043.8.498.1.${s}.${i}`),
          '00200011': num('IS', s),
        }),
      );
    }
  }
  return shuffled(out, 7);
}

describe('convertStudy performance', () => {
  it('converts 12,000 instances faster than the 20,000 instances/s the folder pipeline needs', () => {
    const datasets = largeStudy();
    for (let warm = 0; warm < 3; warm += 1) convertStudy(datasets);
    const runs = 5;
    const times: number[] = [];
    for (let r = 0; r < runs; r += 1) {
      const start = performance.now();
      const conversion = convertStudy(datasets);
      times.push(performance.now() - start);
      expect(conversion.numberOfInstances).toBe(SERIES * PER_SERIES);
    }
    const best = Math.min(...times);
    const rate = (SERIES * PER_SERIES) / (best / 1000);
    console.log(`convertStudy: 12,000 instances in ${best.toFixed(1)} ms best of ${runs} (${Math.round(rate)} instances/s)`);
    // The folder pipeline must reach 20,000/s for parsing and converting together. On an idle
    // 2-core machine conversion alone runs at about 150,000/s; the bound here is the pipeline
    // target itself, so the test stays meaningful on a loaded CI machine without flaking.
    expect(rate).toBeGreaterThan(20_000);
  });
});
