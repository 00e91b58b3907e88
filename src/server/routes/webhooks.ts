/**
 * Orthanc's Lua callbacks (`OnStableStudy`, `OnDeletedStudy`, see `orthanc/dicom2fhir.lua`) post
 * here. Both need `Authorization: Bearer <WEBHOOK_SECRET>`; without a configured secret the routes
 * stay closed (503) rather than open. The body is validated before anything reaches the sync
 * service, and the answer is 202 at once: the sync runs in the service's queue (SPEC §4).
 */
import { z } from 'zod';
import type { SyncService } from '../../bridge/types.js';
import { isValidUid } from '../../dicomweb/uid.js';
import { requireBearer } from '../auth.js';
import { accepted, badRequest, OperationOutcomeError, serviceUnavailable } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';

/** Orthanc resource ids are SHA-1 digests written as five dash-separated groups of 8 hex digits. */
export const ORTHANC_ID = /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/;

const orthancId = z.string().regex(ORTHANC_ID, 'must be an Orthanc study id');
const stableStudyBody = z.object({
  ID: orthancId,
  StudyInstanceUID: z.string().refine(isValidUid, 'must be a DICOM UID (digits and dots, at most 64 characters)'),
});
const deletedStudyBody = z.object({ ID: orthancId });

/** Orthanc study id → Study Instance UID, learnt from webhooks and the change feed. */
export interface OrthancStudyIndex {
  remember(orthancId: string, studyInstanceUid: string): void;
  lookup(orthancId: string): string | undefined;
}

export interface WebhookDeps {
  webhookSecret: string | undefined;
  sync: Pick<SyncService, 'enqueue' | 'deleteStudy'>;
  orthancStudies: OrthancStudyIndex;
  /** Starts a reconciliation soon (a deletion of a study whose UID was never learnt). */
  reconcileSoon(): void;
}

/** 503 while no secret is configured, 401 unless the request carries it. */
export function authorizeWebhook(authorization: string | undefined, webhookSecret: string | undefined): void {
  if (webhookSecret === undefined) {
    throw new OperationOutcomeError(serviceUnavailable('Webhooks are disabled: WEBHOOK_SECRET is not configured'));
  }
  requireBearer(authorization, webhookSecret);
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    throw new OperationOutcomeError(badRequest(`Invalid webhook body: ${details}`));
  }
  return parsed.data;
}

export async function stableStudyWebhook(req: FhirRequest, deps: WebhookDeps): Promise<FhirResponse> {
  authorizeWebhook(req.headers.authorization, deps.webhookSecret);
  const body = parseBody(stableStudyBody, req.body);
  deps.orthancStudies.remember(body.ID, body.StudyInstanceUID);
  deps.sync.enqueue(body.StudyInstanceUID, 'webhook');
  return [accepted];
}

export async function deletedStudyWebhook(req: FhirRequest, deps: WebhookDeps): Promise<FhirResponse> {
  authorizeWebhook(req.headers.authorization, deps.webhookSecret);
  const body = parseBody(deletedStudyBody, req.body);
  const studyInstanceUid = deps.orthancStudies.lookup(body.ID);
  if (studyInstanceUid === undefined) deps.reconcileSoon();
  else deps.sync.deleteStudy(studyInstanceUid);
  return [accepted];
}
