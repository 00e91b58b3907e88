/**
 * Orthanc's REST answers the change-feed follower reads, checked at the boundary: `GET /changes`
 * (Orthanc REST API, "Changes" log), and `POST /tools/bulk-content` or `GET /studies/{id}` (for
 * the Study Instance UID).
 */
import { z } from 'zod';

export const ChangeSchema = z.object({
  ChangeType: z.string(),
  ID: z.string(),
  ResourceType: z.string(),
  Seq: z.number().int(),
  Path: z.string().optional(),
  Date: z.string().optional(),
});

export const ChangesPageSchema = z.object({
  Changes: z.array(ChangeSchema),
  Done: z.boolean(),
  Last: z.number().int(),
});

export const OrthancStudySchema = z.object({
  ID: z.string(),
  MainDicomTags: z.object({ StudyInstanceUID: z.string().optional() }).passthrough(),
  /** Orthanc ids of the study's series (their count tells the sync how to read the metadata). */
  Series: z.array(z.string()).optional(),
});

/** `POST /tools/bulk-content` at `Level: Study`: the studies Orthanc still has, in no particular order. */
export const BulkStudiesSchema = z.array(OrthancStudySchema);

export type OrthancStudy = z.infer<typeof OrthancStudySchema>;
export type OrthancChange = z.infer<typeof ChangeSchema>;
export type ChangesPage = z.infer<typeof ChangesPageSchema>;

/**
 * Orthanc resource ids are SHA-1 digests written as five dash-separated groups of eight hex
 * digits; checked before an id is placed in a URL path.
 */
const ORTHANC_ID = /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/;

export function isOrthancId(value: string): boolean {
  return ORTHANC_ID.test(value);
}
