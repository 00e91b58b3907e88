/**
 * The two questions the bridge asks Orthanc's own REST API about one study, beside DICOMweb:
 * where is it (`POST /tools/lookup` with its Study Instance UID) and is it stable (`IsStable` of
 * `GET /studies/{id}`, true once no instance arrived for Orthanc's `StableAge` seconds). A server
 * that answers neither (another DICOMweb PACS, no Orthanc at `ORTHANC_URL`) is reported as such,
 * so the caller can fall back to rules that need DICOMweb only.
 */
import type { AxiosInstance, AxiosResponse } from 'axios';
import { z } from 'zod';
import { createOrthancGet } from '../orthanc-get.js';
import { createOrthancHttp, nothingListeningCode } from '../orthanc-http.js';
import { errorMessage } from '../sync/logger.js';

/** Where Orthanc has a study: its id, no such study, or no Orthanc REST API answering at all. */
export type OrthancStudyLookup = { kind: 'found'; orthancId: string } | { kind: 'absent' } | { kind: 'no-orthanc'; reason: string };

export interface OrthancRest {
  /** Throws on an answer that says Orthanc is there but failed (401, 5xx, timeout). */
  lookupStudy(studyInstanceUid: string): Promise<OrthancStudyLookup>;
  /** `IsStable` of the study; undefined when Orthanc no longer has it. */
  isStable(orthancId: string): Promise<boolean | undefined>;
}

export interface OrthancRestOptions {
  /** Orthanc REST root, e.g. `http://127.0.0.1:8042`. */
  orthancUrl: string;
  auth?: { username: string; password: string };
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
}

const LookupAnswer = z.array(z.object({ ID: z.string(), Type: z.string() }));
const StudyAnswer = z.object({ IsStable: z.boolean() });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: the caller's schema check reports the answer as not Orthanc's.
    return undefined;
  }
}

/**
 * The lookup over the change feed's HTTP client (axios over node:http), `IsStable` over plain
 * node:http: the bridge's sync path loads no second HTTP stack, which matters under the small
 * heaps large studies are synced with.
 */
export function createOrthancRest(options: OrthancRestOptions): OrthancRest {
  const base = options.orthancUrl.replace(/\/+$/, '');
  const http: AxiosInstance = createOrthancHttp({
    baseURL: base,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    defaults: { responseType: 'text', transformResponse: (data: unknown) => data, validateStatus: () => true },
  });

  // Asked once per synced study: a plain node:http GET (see orthanc-get.ts).
  const get = createOrthancGet({ baseURL: base, timeoutMs: options.timeoutMs ?? 10_000, ...(options.auth === undefined ? {} : { auth: options.auth }) });

  return {
    async lookupStudy(studyInstanceUid) {
      let response: AxiosResponse<string>;
      try {
        response = await http.post<string>('/tools/lookup', studyInstanceUid, { headers: { 'content-type': 'text/plain' } });
      } catch (error) {
        const code = nothingListeningCode(error);
        if (code !== undefined) return { kind: 'no-orthanc', reason: `${base} does not answer (${code})` };
        throw new Error(`Orthanc POST /tools/lookup failed: ${errorMessage(error)}`, { cause: error });
      }
      if (response.status === 404 || response.status === 405) return { kind: 'no-orthanc', reason: `${base}/tools/lookup answered HTTP ${response.status}` };
      if (response.status < 200 || response.status >= 300) throw new Error(`Orthanc POST /tools/lookup answered HTTP ${response.status}`);
      const parsed = LookupAnswer.safeParse(parseJson(response.data));
      if (!parsed.success) return { kind: 'no-orthanc', reason: `${base}/tools/lookup did not answer an Orthanc lookup list` };
      // The UID may also name a series or an instance somewhere: only a Study answer counts.
      const study = parsed.data.find((item) => item.Type === 'Study');
      return study === undefined ? { kind: 'absent' } : { kind: 'found', orthancId: study.ID };
    },

    async isStable(orthancId) {
      const response = await get(`/studies/${encodeURIComponent(orthancId)}`).catch((error: unknown) => {
        throw new Error(`Orthanc GET /studies/{id} failed: ${errorMessage(error)}`, { cause: error });
      });
      if (response.status === 404) return undefined;
      if (response.status < 200 || response.status >= 300) throw new Error(`Orthanc GET /studies/{id} answered HTTP ${response.status}`);
      const parsed = StudyAnswer.safeParse(parseJson(response.body));
      if (!parsed.success) throw new Error('Orthanc GET /studies/{id} answered without IsStable');
      return parsed.data.IsStable;
    },
  };
}
