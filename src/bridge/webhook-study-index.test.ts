import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrthancIdHints } from './reconcile/index.js';
import { openStudyStore, type BridgeStore } from './store/index.js';
import { createWebhookStudyIndex } from './webhook-study-index.js';

const ID = 'aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa';
let dir: string;
let store: BridgeStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2f-webhook-index-'));
  store = openStudyStore(dir);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('webhook study index', () => {
  it('maps the Orthanc id a stable-study webhook names in the store and hands it to the stability gate', () => {
    const hints = createOrthancIdHints();
    const index = createWebhookStudyIndex(store, hints);
    index.remember(ID, '1.2.3');
    expect(store.studyUidForOrthancId(ID)).toBe('1.2.3');
    expect(index.lookup(ID)).toBe('1.2.3');
    expect(hints.get('1.2.3')).toEqual({ orthancId: ID });
    expect(index.lookup('bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb-bbbbbbbb')).toBeUndefined();
  });
});
