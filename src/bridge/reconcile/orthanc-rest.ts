/**
 * The two questions the bridge asks Orthanc's own REST API about one study, beside DICOMweb:
 * where is it (`POST /tools/lookup` with its Study Instance UID) and is it stable (`IsStable` of
 * `GET /studies/{id}`, true once no instance arrived for Orthanc's `StableAge` seconds). A server
 * that answers neither (another DICOMweb PACS, no Orthanc at `ORTHANC_URL`) is reported as such,
 * so the caller can fall back to rules that need DICOMweb only.
 */
import { z } from 'zod';
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

/** Errors of `fetch` that mean nothing listens there (as opposed to a server that failed). */
const NOTHING_LISTENING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

export function createOrthancRest(options: OrthancRestOptions): OrthancRest {
  const base = options.orthancUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers: Record<string, string> =
    options.auth === undefined ? {} : { authorization: `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` };

  async function call(path: string, init: RequestInit): Promise<Response> {
    return fetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(timeoutMs) });
  }

  return {
    async lookupStudy(studyInstanceUid) {
      let response: Response;
      try {
        response = await call('/tools/lookup', { method: 'POST', body: studyInstanceUid, headers: { 'content-type': 'text/plain' } });
      } catch (error) {
        const code = causeCode(error);
        if (code !== undefined && NOTHING_LISTENING.has(code)) return { kind: 'no-orthanc', reason: `${base} does not answer (${code})` };
        throw new Error(`Orthanc POST /tools/lookup failed: ${errorMessage(error)}`, { cause: error });
      }
      const text = await response.text();
      if (response.status === 404 || response.status === 405) return { kind: 'no-orthanc', reason: `${base}/tools/lookup answered HTTP ${response.status}` };
      if (!response.ok) throw new Error(`Orthanc POST /tools/lookup answered HTTP ${response.status}`);
      let parsed: ReturnType<typeof LookupAnswer.safeParse>;
      try {
        parsed = LookupAnswer.safeParse(JSON.parse(text));
      } catch (error) {
        return { kind: 'no-orthanc', reason: `${base}/tools/lookup did not answer JSON (${errorMessage(error)})` };
      }
      if (!parsed.success) return { kind: 'no-orthanc', reason: `${base}/tools/lookup did not answer an Orthanc lookup list` };
      // The UID may also name a series or an instance somewhere: only a Study answer counts.
      const study = parsed.data.find((item) => item.Type === 'Study');
      return study === undefined ? { kind: 'absent' } : { kind: 'found', orthancId: study.ID };
    },

    async isStable(orthancId) {
      const response = await call(`/studies/${encodeURIComponent(orthancId)}`, { method: 'GET' }).catch((error: unknown) => {
        throw new Error(`Orthanc GET /studies/{id} failed: ${errorMessage(error)}`, { cause: error });
      });
      const text = await response.text();
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`Orthanc GET /studies/{id} answered HTTP ${response.status}`);
      const parsed = StudyAnswer.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error('Orthanc GET /studies/{id} answered without IsStable');
      return parsed.data.IsStable;
    },
  };
}
