/**
 * The ImagingStudy search against the running bridge listener (direct read in front of Express),
 * with studies converted by the real converter and stored through the real sync service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Bundle, ImagingStudy, OperationOutcome } from 'fhir/r4';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStudyStore, type BridgeStore } from '../../src/bridge/store/index.js';
import { createSyncService, type BridgeSyncService } from '../../src/bridge/sync/service.js';
import { convertStudy } from '../../src/convert/index.js';
import type { Dataset } from '../../src/dicom/dataset.js';
import { createLogger } from '../../src/logging/index.js';
import type { AuditEvent } from '../../src/server/audit/audit-log.js';
import { createHttpListener } from '../../src/server/index.js';
import { validateR4 } from '../support/fhir-validation.js';
import { instanceUidOf, MR_IMAGE_STORAGE, searchStudyDatasets, seriesUidOf, type SearchStudyOptions } from '../support/search-studies.js';
import { apiDeps, logLines, tempStore } from '../support/server-fixtures.js';

const API_TOKEN = 'api-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${API_TOKEN}` };
const SYSTEM_A = '1.2.826.0.1.3680043.8.498.1001';
const SYSTEM_B = '1.2.826.0.1.3680043.8.498.1002';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const SNOMED = 'http://snomed.info/sct';

/** A (patient PID-777 of hospital A), B (PID-777 of hospital B), C (PID-777 without issuer), D (another patient, large study). */
const STUDIES: Record<'A' | 'B' | 'C' | 'D', SearchStudyOptions> = {
  A: {
    uid: '1.2.826.0.1.3680043.8.498.501',
    patientId: 'PID-777',
    patientIssuer: SYSTEM_A,
    accession: 'ACC-A',
    accessionIssuer: '1.2.826.0.1.3680043.8.498.2001',
    modality: 'CT',
    date: '20240115',
    time: '093000',
    offset: '+0100',
    bodyPart: 'CHEST',
    reason: { code: 'R05', scheme: 'I10', meaning: 'Cough' },
    referrer: 'Müller^Hans',
    referrerId: { id: 'DOC-1', scheme: '99HOSP' },
  },
  B: {
    uid: '1.2.826.0.1.3680043.8.498.502',
    patientId: 'PID-777',
    patientIssuer: SYSTEM_B,
    accession: 'ACC-B',
    modality: 'MR',
    date: '20240220',
    bodyPart: 'HEAD',
    reasonText: 'Suspected stroke, left side',
    referrer: 'Smith^Anna',
    sopClass: MR_IMAGE_STORAGE,
  },
  C: { uid: '1.2.826.0.1.3680043.8.498.503', patientId: 'PID-777', modality: 'US' },
  D: { uid: '1.2.826.0.1.3680043.8.498.504', patientId: 'PID-900', patientIssuer: SYSTEM_A, modality: 'CT', date: '20250301', instances: 5 },
};
const A = STUDIES.A.uid;
const B = STUDIES.B.uid;
const C = STUDIES.C.uid;
const D = STUDIES.D.uid;

let store: BridgeStore;
let server: Server;
let url: string;
let sync: BridgeSyncService;
const source = new Map<string, Dataset[]>();
const audited: AuditEvent[] = [];

async function syncFrom(options: SearchStudyOptions): Promise<void> {
  source.set(options.uid, searchStudyDatasets(options));
  await sync.syncStudy(options.uid, 'manual');
}

beforeAll(async () => {
  // One second per write, so _lastUpdated orders the studies as they were synced.
  let tick = 0;
  store = openStudyStore(mkdtempSync(join(tmpdir(), 'dicom2fhir-search-')), { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)) });
  const logger = createLogger({ level: 'silent', destination: logLines().destination });
  sync = createSyncService({
    store,
    fetchStudy: async (uid) => source.get(uid),
    convert: convertStudy,
    // D, the one study above this, is stored without instance lists (MAX_INSTANCES_LISTED).
    convertOptions: { maxInstancesListed: 4 },
    logger,
    resume: false,
  });
  for (const options of Object.values(STUDIES)) await syncFrom(options);
  server = createServer(
    createHttpListener(
      apiDeps(store, {
        sync,
        apiToken: API_TOKEN,
        logger,
        audit: { record: (event) => audited.push(event), problem: () => undefined, flush: async () => undefined, close: async () => undefined },
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await sync.stop();
  store.close();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${url}${path}`, { headers: { ...bearer, ...headers } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

/** A 200 searchset; validated against the R4 schema unless `_elements` cut its resources short. */
async function search(query: string, headers: Record<string, string> = {}): Promise<Bundle> {
  const answer = await get(`/ImagingStudy?${query}`, headers);
  expect([query, answer.status]).toEqual([query, 200]);
  const bundle = answer.body as Bundle;
  if (!query.includes('_elements')) for (const entry of bundle.entry ?? []) expect(validateR4(entry.resource)).toEqual([]);
  return bundle;
}

async function ids(query: string): Promise<string[]> {
  return ((await search(query)).entry ?? []).map((entry) => (entry.resource as ImagingStudy).id as string).sort();
}

async function refused(query: string, headers: Record<string, string> = {}): Promise<OperationOutcome> {
  const answer = await get(`/ImagingStudy?${query}`, headers);
  expect([query, answer.status, (answer.body as OperationOutcome).resourceType]).toEqual([query, 400, 'OperationOutcome']);
  return answer.body as OperationOutcome;
}

const q = encodeURIComponent;

describe('ImagingStudy search parameters', () => {
  it('finds by instance and dicom-class a study stored without its instance lists', async () => {
    const stored = store.get(D)?.resource as ImagingStudy;
    expect([stored.numberOfInstances, stored.series?.[0]?.instance]).toEqual([5, undefined]);
    expect(await ids(`instance=${instanceUidOf(D, 3)}&dicom-class=1.2.840.10008.5.1.4.1.1.2`)).toEqual([D]);
  });

  it.each<[string, string, string[], string]>([
    // [parameter, matching query, matches, non-matching query]
    ['_id', `_id=${A},${C}`, [A, C], '_id=1.2.3.4'],
    ['identifier (system|value)', `identifier=${q(`urn:dicom:uid|urn:oid:${A}`)}`, [A], `identifier=${q(`urn:dicom:uid|urn:oid:${B}.9`)}`],
    ['identifier (bare UID)', `identifier=${B}`, [B], 'identifier=9.9.9'],
    ['identifier (accession in its system)', `identifier=${q('urn:oid:1.2.826.0.1.3680043.8.498.2001|ACC-A')}`, [A], `identifier=${q('urn:oid:1.2.826.0.1.3680043.8.498.2001|ACC-B')}`],
    ['identifier (|value: no system)', `identifier=${q('|ACC-B')}`, [B], `identifier=${q('|ACC-A')}`],
    ['_lastUpdated', '_lastUpdated=ge2000-01-01', [A, B, C, D], '_lastUpdated=lt2000'],
    ['started (date)', 'started=2024-01', [A], 'started=2023'],
    ['started (range, AND)', 'started=ge2024-01-01&started=lt2024-03-01', [A, B], 'started=ge2026&started=lt2024'],
    ['started (instant in UTC)', `started=${q('2024-01-15T08:30:00Z')}`, [A], `started=${q('2024-01-15T09:30:00Z')}`],
    ['started (sa/eb, OR)', 'started=sa2025-01-01,eb2024-02-01', [A, D], 'started=sa2026'],
    ['modality', 'modality=MR,US', [B, C], 'modality=XA'],
    ['modality (DCM system)', `modality=${q('http://dicom.nema.org/resources/ontology/DCM|CT')}`, [A, D], `modality=${q('http://loinc.org|CT')}`],
    ['status', 'status=available', [A, B, C, D], 'status=cancelled'],
    ['series', `series=${seriesUidOf(B)}`, [B], 'series=1.2.3'],
    ['instance', `instance=${instanceUidOf(A, 2)}`, [A], `instance=${instanceUidOf(A, 3)}`],
    ['instance (study stored without instance lists)', `instance=${instanceUidOf(D, 5)}`, [D], `instance=${instanceUidOf(D, 6)}`],
    ['dicom-class (bare UID)', `dicom-class=${MR_IMAGE_STORAGE}`, [B], 'dicom-class=1.2.840.10008.5.1.4.1.1.7'],
    ['dicom-class (URI)', `dicom-class=${q(`urn:ietf:rfc:3986|urn:oid:1.2.840.10008.5.1.4.1.1.2`)}`, [A, C, D], `dicom-class=${q(`http://other|urn:oid:1.2.840.10008.5.1.4.1.1.2`)}`],
    ['bodysite', `bodysite=${q(`${SNOMED}|43799004`)}`, [A], `bodysite=${q(`${ICD10}|43799004`)}`],
    ['bodysite:text', 'bodysite:text=ches', [A], 'bodysite:text=abdomen'],
    ['reason', `reason=${q(`${ICD10}|R05`)}`, [A], 'reason=R06'],
    ['reason:text', 'reason:text=stroke', [B], 'reason:text=fracture'],
    ['patient:identifier', `patient:identifier=${q(`urn:oid:${SYSTEM_A}|PID-900`)}`, [D], `patient:identifier=${q(`urn:oid:${SYSTEM_B}|PID-900`)}`],
    ['subject.identifier', `subject.identifier=PID-900`, [D], 'subject.identifier=PID-901'],
    ['basedon:identifier', 'basedon:identifier=ACC-A', [A], 'basedon:identifier=ACC-C'],
    ['basedon.identifier (system)', `basedon.identifier=${q('urn:oid:1.2.826.0.1.3680043.8.498.2001|ACC-A')}`, [A], `basedon.identifier=${q('urn:other|ACC-A')}`],
    ['referrer:identifier', `referrer:identifier=${q('|DOC-1')}`, [A], 'referrer:identifier=DOC-2'],
    ['referrer.name (case and accents ignored)', 'referrer.name=MULL', [A], 'referrer.name=muell'],
    ['referrer.name (starts)', 'referrer.name=mul', [A], 'referrer.name=ans'],
    ['referrer.name:exact', 'referrer.name:exact=Smith', [B], 'referrer.name:exact=smith'],
    ['referrer.name:contains', 'referrer.name:contains=MIT', [B], 'referrer.name:contains=xyz'],
    ['modality:missing', 'modality:missing=false', [A, B, C, D], 'modality:missing=true'],
    ['started:missing', 'started:missing=true', [C], 'started:missing=true&modality=CT'],
    ['reason:missing', 'reason:missing=false', [A, B], 'reason:missing=false&modality=US'],
    ['referrer:missing', 'referrer:missing=true', [C, D], 'referrer:missing=true&modality=MR'],
    ['basedon:missing', 'basedon:missing=true', [C, D], 'basedon:missing=true&_id=' + A],
    ['bodysite:missing', 'bodysite:missing=true', [C, D], 'bodysite:missing=true&modality=MR'],
    ['instance:missing', 'instance:missing=false', [A, B, C, D], 'instance:missing=true'],
    ['patient:missing', 'patient:missing=false', [A, B, C, D], 'patient:missing=true'],
  ])('%s: a match and a non-match', async (_name, matching, expected, nonMatching) => {
    expect(await ids(matching)).toEqual([...expected].sort());
    expect(await ids(nonMatching)).toEqual([]);
  });

  it.each([
    ['_id=a/b', '_id'],
    ['identifier=', 'identifier'],
    ['_lastUpdated=yesterday', '_lastUpdated'],
    ['started=2024-13', 'started'],
    ['started=ap2024', 'started'],
    ['modality=ct', 'modality'],
    ['status=finished', 'status'],
    ['series=1..2', 'series'],
    ['instance=abc', 'instance'],
    ['dicom-class=urn:oid:x', 'dicom-class'],
    ['bodysite=', 'bodysite'],
    ['reason=%7C', 'reason'],
    ['patient:identifier=', 'patient:identifier'],
    ['basedon:identifier=sys%7C', 'basedon:identifier'],
    ['referrer.name=', 'referrer.name'],
    ['modality:missing=maybe', 'modality:missing'],
    ['_count=-5', '_count'],
    ['_sort=description', '_sort'],
    ['_summary=text', '_summary'],
    ['_total=some', '_total'],
    ['_elements=foo', '_elements'],
  ])('refuses the invalid value %s with 400 naming %s', async (query, parameter) => {
    const outcome = await refused(query);
    expect(outcome.issue[0]?.expression?.[0]).toBe(parameter);
  });
});

describe('the patient filter', () => {
  it('never returns another patient’s study: system|value one patient, the bare value every system, |value only the one without system', async () => {
    expect(await ids(`patient:identifier=${q(`urn:oid:${SYSTEM_A}|PID-777`)}`)).toEqual([A]);
    expect(await ids(`patient.identifier=${q(`urn:oid:${SYSTEM_B}|PID-777`)}`)).toEqual([B]);
    expect(await ids('patient:identifier=PID-777')).toEqual([A, B, C].sort());
    expect(await ids(`subject:identifier=${q('|PID-777')}`)).toEqual([C]);
    expect(await ids(`patient:identifier=${q(`urn:oid:${SYSTEM_A}|PID-777`)},${q(`urn:oid:${SYSTEM_B}|PID-777`)}`)).toEqual([A, B].sort());
    expect(await ids(`patient:identifier=${q(`urn:oid:${SYSTEM_A}|PID-777`)}&patient:identifier=${q(`urn:oid:${SYSTEM_B}|PID-777`)}`)).toEqual([]);
  });

  it('refuses a plain reference with 400 saying it cannot be resolved, also under lenient handling', async () => {
    for (const headers of [{}, { prefer: 'handling=lenient' }] as Array<Record<string, string>>) {
      const outcome = await refused(`patient=${q('Patient/PID-777')}`, headers);
      expect(outcome.issue[0]?.details?.text).toMatch(/cannot be resolved.*patient:identifier=system\|value/);
      expect((await refused('subject=PID-777', headers)).issue[0]?.expression).toEqual(['subject']);
      expect((await refused('patient.name=Doe', headers)).issue[0]?.expression).toEqual(['patient.name']);
    }
  });
});

describe('unknown parameters', () => {
  it('are a 400 naming each of them', async () => {
    const outcome = await refused('modality=CT&_include=ImagingStudy:subject&foo=1');
    expect(outcome.issue.map((issue) => issue.expression?.[0])).toEqual(['_include', 'foo']);
    expect(outcome.issue[0]?.details?.text).toMatch(/Unknown or unsupported search parameter _include .*handling=lenient/);
  });

  it('are ignored under Prefer: handling=lenient, and the self link shows only what was applied', async () => {
    const bundle = await search('modality=CT&foo=1&modality:not=MR&_sort=-started', { prefer: 'handling=lenient' });
    expect(bundle.entry?.map((e) => (e.resource as ImagingStudy).id)).toEqual([D, A]);
    expect(bundle.link?.find((link) => link.relation === 'self')?.url).toBe(`${url}/ImagingStudy?modality=CT&_sort=-started&_count=20&_offset=0`);
  });
});

describe('result parameters', () => {
  it('_sort orders by started or _lastUpdated, - descending, studies without a start last', async () => {
    const order = async (query: string): Promise<string[]> => ((await search(query)).entry ?? []).map((e) => (e.resource as ImagingStudy).id as string);
    expect(await order('_sort=started')).toEqual([A, B, D, C]);
    expect(await order('_sort=-started')).toEqual([D, B, A, C]);
    expect(await order('')).toEqual([D, B, A, C]);
    expect(await order('_sort=_lastUpdated')).toEqual([A, B, C, D]);
    expect(await order('_sort=-_lastUpdated')).toEqual([D, C, B, A]);
  });

  it('_summary=count answers the total without entries; _total=none leaves the total out', async () => {
    const count = await search('modality=CT&_summary=count');
    expect([count.total, count.entry, count.link?.[0]?.url]).toEqual([2, undefined, `${url}/ImagingStudy?modality=CT&_summary=count&_count=0&_offset=0`]);
    const none = await search('_total=none&_count=3');
    expect([none.total, none.entry?.length, none.link?.map((l) => l.relation)]).toEqual([undefined, 3, ['self', 'next']]);
    const last = await search('_total=none&_count=3&_offset=3');
    expect([last.entry?.length, last.link?.map((l) => l.relation)]).toEqual([1, ['self', 'previous']]);
  });

  it('_elements keeps the asked elements, id and meta, the contained resources they point to, and tags SUBSETTED', async () => {
    const bundle = await search(`_id=${A}&_elements=identifier,subject`);
    const study = bundle.entry?.[0]?.resource as ImagingStudy;
    expect(Object.keys(study).sort()).toEqual(['contained', 'id', 'identifier', 'meta', 'resourceType', 'subject']);
    expect(study.meta?.tag).toEqual([expect.objectContaining({ code: 'SUBSETTED' })]);
    const bare = (await search(`_id=${A}&_elements=started`)).entry?.[0]?.resource as ImagingStudy;
    expect(Object.keys(bare).sort()).toEqual(['id', 'meta', 'resourceType', 'started']);
  });

  it('POST /ImagingStudy/_search takes a form body, together with the URL parameters', async () => {
    const response = await fetch(`${url}/ImagingStudy/_search?modality=CT`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['patient:identifier', `urn:oid:${SYSTEM_A}|PID-777`], ['_count', '5']]).toString(),
    });
    const bundle = (await response.json()) as Bundle;
    expect([response.status, bundle.total, bundle.entry?.map((e) => (e.resource as ImagingStudy).id)]).toEqual([200, 1, [A]]);
    expect(bundle.link?.[0]?.url).toBe(`${url}/ImagingStudy?modality=CT&patient%3Aidentifier=${q(`urn:oid:${SYSTEM_A}|PID-777`)}&_count=5&_offset=0`);
    // The audit line names the parameters of the URL and of the body, never their values.
    await vi.waitUntil(() => audited.some((event) => event.path === 'POST /ImagingStudy/_search'));
    const line = audited.find((event) => event.path === 'POST /ImagingStudy/_search');
    expect([line?.parameters, line?.studies, line?.outcome]).toEqual([['modality', 'patient:identifier', '_count'], [A], 200]);
    expect(JSON.stringify(line)).not.toContain('PID-777');
    const unknown = await fetch(`${url}/ImagingStudy/_search`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'foo=1' });
    expect(unknown.status).toBe(400);
    const json = await fetch(`${url}/ImagingStudy/_search`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    const anonymous = await fetch(`${url}/ImagingStudy/_search`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_count=1' });
    expect(anonymous.status).toBe(401);
  });
});

describe('paging', () => {
  it('through 250 studies returns each once, and the links keep every parameter', async () => {
    const many = tempStore();
    try {
      for (let i = 0; i < 250; i += 1) {
        const day = String(1 + (i % 28)).padStart(2, '0');
        const uid = `1.2.826.0.1.3680043.8.498.9.${i}`;
        many.put(convertStudy(searchStudyDatasets({ uid, patientId: 'PID-PAGE', modality: i % 2 === 0 ? 'CT' : 'MR', date: `2024${i % 5 === 0 ? '01' : '02'}${day}`, instances: 1 })).resource as ImagingStudy);
      }
      const pagingServer = createServer(
        createHttpListener(apiDeps(many, { sync, logger: createLogger({ level: 'silent', destination: logLines().destination }) })),
      );
      await new Promise<void>((resolve) => pagingServer.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(pagingServer.address() as AddressInfo).port}`;
      try {
        for (const query of ['_count=20', '_count=17&_sort=-_lastUpdated', '_count=33&_sort=started&patient.identifier=PID-PAGE']) {
          const seen: string[] = [];
          let next: string | undefined = `${base}/ImagingStudy?${query}`;
          let pages = 0;
          while (next !== undefined) {
            const bundle = (await (await fetch(next)).json()) as Bundle;
            expect(bundle.total).toBe(250);
            seen.push(...(bundle.entry ?? []).map((e) => (e.resource as ImagingStudy).id as string));
            next = bundle.link?.find((l) => l.relation === 'next')?.url;
            if (next !== undefined) for (const part of query.split('&')) expect(new URL(next).search).toContain(part.replace(':', '%3A'));
            pages += 1;
          }
          expect(seen).toHaveLength(250);
          expect(new Set(seen).size).toBe(250);
          expect(pages).toBe(Math.ceil(250 / Number(/_count=(\d+)/.exec(query)?.[1])));
        }
        const ct = (await (await fetch(`${base}/ImagingStudy?modality=CT&started=2024-01&_summary=count`)).json()) as Bundle;
        expect(ct.total).toBe(25);
      } finally {
        await new Promise<void>((resolve) => pagingServer.close(() => resolve()));
      }
    } finally {
      many.close();
    }
  });
});
