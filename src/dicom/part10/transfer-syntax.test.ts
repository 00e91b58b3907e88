import { describe, expect, it } from 'vitest';
import { encodingOf } from './transfer-syntax.js';

describe('encodingOf', () => {
  it.each([
    ['1.2.840.10008.1.2', { littleEndian: true, explicitVr: false, deflated: false }],
    ['1.2.840.10008.1.2.1', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.2', { littleEndian: false, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.1.99', { littleEndian: true, explicitVr: true, deflated: true }],
    ['1.2.840.10008.1.2.4.50', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.4.80', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.4.90', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.4.201', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.4.100', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.4.95', { littleEndian: true, explicitVr: true, deflated: true }],
    ['1.2.840.10008.1.2.5', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.10008.1.2.8.1', { littleEndian: true, explicitVr: true, deflated: false }],
    ['1.2.840.113619.5.2', undefined],
    ['', undefined],
  ])('maps %j to %j', (uid, expected) => {
    expect(encodingOf(uid)).toEqual(expected);
  });
});
