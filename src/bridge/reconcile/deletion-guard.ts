/**
 * The guard against taking a broken PACS for a mass deletion (SPEC §4, Health): a listing that is
 * empty, or that misses more than a configured share of the stored studies it speaks for, is what
 * an Orthanc with its volume missing, a wrong URL or wrong credentials looks like. Such a listing
 * deletes nothing until a person confirms; smaller gaps are deleted study by study, each only
 * once the source confirms on its own that it does not have the study.
 */

/** Share of the stored studies a listing may miss before its deletions wait for a person; default 0.5. */
export const DEFAULT_DELETION_GUARD_SHARE = 0.5;

export interface ListingGap {
  /** Studies the source listed. */
  listed: number;
  /** Stored studies the listing speaks for (inside its window, stored before it began). */
  considered: number;
  /** Of those, the ones the listing does not have. */
  missing: number;
}

/** Whether the deletions of this listing must wait for a person's confirmation. */
export function isMassDeletion(gap: ListingGap, share: number): boolean {
  if (gap.missing === 0) return false;
  return gap.listed === 0 || gap.missing > share * gap.considered;
}

export function checkDeletionGuardShare(share: number): number {
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new RangeError(`deletion guard share must be between 0 and 1, got ${share}`);
  return share;
}

/** The `/readyz` reason while deletions are held: the bridge cannot do its job until a person looks. */
export function heldDeletionsReason(held: ListingGap & { since: string }): { code: string; impact: 'unavailable'; message: string } {
  return {
    code: 'deletions-held',
    impact: 'unavailable',
    message:
      `a listing of the PACS (${held.listed} studies) misses ${held.missing} of ${held.considered} stored studies since ${held.since}; ` +
      'nothing was deleted: check the PACS, then confirm with POST /admin/confirm-deletions',
  };
}
