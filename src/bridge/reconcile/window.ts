/**
 * The date window of a scheduled reconciliation: the QIDO-RS Study Date range (PS3.4
 * §C.2.2.2.5.1, open-ended so studies dated ahead of the bridge's clock are included) and the
 * first FHIR date inside it, to pick the stored studies the listing speaks for.
 */

export interface ReconcileWindow {
  /** QIDO-RS `StudyDate` value, e.g. `20240101-`. */
  studyDate: string;
  /** `YYYY-MM-DD` of the window's first day. */
  fromDate: string;
}

/** Window of `days` calendar days ending today, in the bridge's local time zone (DICOM dates are local dates). */
export function reconcileWindow(days: number, now: Date): ReconcileWindow {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`window must be a positive number of days, got ${days}`);
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  const y = String(from.getFullYear()).padStart(4, '0');
  const m = String(from.getMonth() + 1).padStart(2, '0');
  const d = String(from.getDate()).padStart(2, '0');
  return { studyDate: `${y}${m}${d}-`, fromDate: `${y}-${m}-${d}` };
}

/** Whether a study that started at `started` (FHIR date or dateTime) falls in the window; a study without a start never does. */
export function startedInWindow(started: string | undefined, window: ReconcileWindow): boolean {
  return started !== undefined && started.slice(0, 10) >= window.fromDate;
}
