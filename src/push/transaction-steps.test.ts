import type { Bundle, BundleEntry } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { sendInSteps } from './transaction-steps.js';

const entry = (n: number, type: string, refs: number[] = []): BundleEntry => ({
  fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${n}`,
  resource: { resourceType: type, refs: refs.map((r) => ({ reference: `urn:uuid:00000000-0000-4000-8000-00000000000${r}` })) } as never,
  request: { method: 'POST', url: type },
});

/** A fake server: answers each step with a location per entry and records what it received. */
function recorder() {
  const steps: Bundle[] = [];
  let next = 1;
  const transaction = async (bundle: Bundle): Promise<Bundle> => {
    steps.push(bundle);
    return {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: (bundle.entry ?? []).map((e) => ({ response: { status: '201', location: `${e.resource?.resourceType}/id${next++}/_history/1` } })),
    };
  };
  return { steps, transaction };
}

describe('sendInSteps', () => {
  it('sends a Bundle within the limit as it is', async () => {
    const { steps, transaction } = recorder();
    const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [entry(1, 'Patient'), entry(2, 'ImagingStudy', [1])] };
    await sendInSteps(bundle, transaction, 8);
    expect(steps).toEqual([bundle]);
  });

  it('sends referenced entries first and writes their server ids into later steps', async () => {
    const { steps, transaction } = recorder();
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry(1, 'Patient'), entry(2, 'Practitioner'), entry(3, 'ImagingStudy', [1, 2]), entry(4, 'Observation', [1, 3])],
    };
    const response = await sendInSteps(bundle, transaction, 2);
    expect(steps.map((s) => s.entry?.map((e) => e.resource?.resourceType))).toEqual([['Patient', 'Practitioner'], ['ImagingStudy'], ['Observation']]);
    expect(JSON.stringify(steps[1])).toContain('"Patient/id1"');
    expect(JSON.stringify(steps[1])).toContain('"Practitioner/id2"');
    expect(JSON.stringify(steps[2])).toContain('"ImagingStudy/id3"');
    expect(response.entry).toHaveLength(4);
  });

  it('refuses a reference cycle instead of looping', async () => {
    const { transaction } = recorder();
    const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [entry(1, 'A', [2]), entry(2, 'B', [1])] };
    await expect(sendInSteps(bundle, transaction, 1)).rejects.toThrow('reference cycle');
  });
});
