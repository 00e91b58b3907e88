/** ImagingStudy resources, an in-memory SyncService (a fake of our own interface) and captured log lines for handler tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ImagingStudy } from 'fhir/r4';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import type { StoredStudy, SyncReason, SyncResult, SyncService, SyncFailure } from '../../src/bridge/types.js';
import type { HttpAppDeps } from '../../src/server/express.js';
import type { FhirRequest } from '../../src/server/request.js';
import { createLogger } from '../../src/logging/index.js';

export interface StudyFixture {
  uid: string;
  accession?: string;
  modality?: string[];
  started?: string;
}

export function makeStudy({ uid, accession, modality = ['CT'], started }: StudyFixture): ImagingStudy {
  const identifier: ImagingStudy['identifier'] = [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }];
  if (accession !== undefined) identifier.push({ type: { coding: [{ code: 'ACSN' }] }, value: accession });
  return {
    resourceType: 'ImagingStudy',
    id: uid,
    status: 'available',
    identifier,
    subject: { display: 'Anonymous' },
    ...(started === undefined ? {} : { started }),
    modality: modality.map((code) => ({ system: 'http://dicom.nema.org/resources/ontology/DCM', code })),
    numberOfSeries: 1,
    series: [{ uid: `${uid}.1`, modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality[0] ?? 'OT' } }],
  };
}

export function tempStore(): BridgeStore {
  return openStudyStore(mkdtempSync(join(tmpdir(), 'dicom2fhir-server-test-')));
}

/**
 * What the HTTP app needs besides its store, for tests that serve a store without Orthanc: a
 * recording sync, no Orthanc id map, a source that always answers, R4 and a silent logger.
 */
export function apiDeps(store: BridgeStore, overrides: Partial<HttpAppDeps> = {}): HttpAppDeps {
  return {
    store,
    sync: new RecordingSync(store),
    orthancStudies: { remember: () => undefined, lookup: () => undefined },
    reconcileSoon: () => undefined,
    checkSource: async () => undefined,
    fhirVersion: 'R4',
    logger: createLogger({ level: 'silent' }),
    ...overrides,
  };
}

/** A logger destination that keeps every line written to it, parsed. */
export function logLines(): { lines: Array<Record<string, unknown>>; destination: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

/** A logger destination that keeps every chunk written to it as text, unparsed, so raw bytes in log lines are seen. */
export function rawLogText(): { text: string[]; destination: Writable } {
  const text: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text.push(chunk.toString('utf8'));
      done();
    },
  });
  return { text, destination };
}

export function request(partial: Partial<FhirRequest> = {}): FhirRequest {
  return { method: 'GET', params: {}, query: {}, headers: {}, baseUrl: 'http://fhir.test', ...partial };
}

/** Records every call; `syncStudy` answers from `source` (studies the image source has). */
export class RecordingSync implements SyncService {
  readonly calls: Array<{ op: 'syncStudy' | 'enqueue' | 'deleteStudy'; uid: string; reason?: SyncReason }> = [];
  failure?: Error;
  constructor(
    private readonly store: BridgeStore,
    private readonly source = new Map<string, ImagingStudy>(),
  ) {}

  async syncStudy(uid: string, reason: SyncReason): Promise<SyncResult> {
    this.calls.push({ op: 'syncStudy', uid, reason });
    if (this.failure !== undefined) throw this.failure;
    const resource = this.source.get(uid);
    if (resource === undefined) return { studyInstanceUid: uid, outcome: 'not-found' };
    const { outcome, study } = this.store.put(resource);
    return { studyInstanceUid: uid, outcome, study };
  }
  enqueue(uid: string, reason: SyncReason): void {
    this.calls.push({ op: 'enqueue', uid, reason });
  }
  deleteStudy(uid: string): void {
    this.calls.push({ op: 'deleteStudy', uid });
    this.store.markDeleted(uid);
  }
  status(): { queued: number; inFlight: number; failures: SyncFailure[] } {
    return { queued: 2, inFlight: 1, failures: [] };
  }
  async idle(): Promise<void> {}
  async stop(): Promise<void> {}
}

export type { StoredStudy };
