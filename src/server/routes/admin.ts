/**
 * Actions for the person operating the bridge. `POST /admin/confirm-deletions` applies the
 * deletions a reconciliation held because its listing looked like a broken PACS rather than
 * deletions (an empty Orthanc, a wrong URL): each held study the PACS, asked about it alone,
 * confirms absent is deleted (410) and its deletion published. Like every admin endpoint it sits
 * behind the access guard's `admin` access (API_TOKEN or the scope `system/dicom2fhir.admin`).
 */
import { allOk, conflict, OperationOutcomeError } from '../outcomes.js';
import type { FhirResponse } from '../request.js';

export interface AdminDeps {
  deletions: { confirmDeletions(): Promise<{ deleted: number; kept: number } | undefined> };
}

export async function confirmDeletions(deps: AdminDeps): Promise<FhirResponse> {
  const result = await deps.deletions.confirmDeletions();
  if (result === undefined) throw new OperationOutcomeError(conflict('No deletions wait for confirmation'));
  return [allOk, { ...result }];
}
