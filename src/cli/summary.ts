/** The lines a conversion leaves on stderr: counts and issues, never patient data. */
import type { Conversion } from '../convert/options.js';
import { countSkipReasons, type SkippedFile } from '../folder/skip.js';
import { escapeControlCharacters } from '../text/control-characters.js';

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * `1204 instances in 7 series; skipped 3 files (not DICOM: 2, truncated: 1)`, prefixed with
 * `2 studies, ` when studies were split. Only counts and reason labels appear, so the line is
 * safe for any log (no PHI).
 */
export function formatSummary(outputs: readonly Conversion[], skipped: readonly SkippedFile[], split: boolean): string {
  const instances = outputs.reduce((sum, o) => sum + o.numberOfInstances, 0);
  const series = outputs.reduce((sum, o) => sum + o.numberOfSeries, 0);
  const studies = split ? `${plural(outputs.length, 'study', 'studies')}, ` : '';
  const reasons = countSkipReasons(skipped).map((c) => `${c.label}: ${c.count}`);
  const skippedText = `skipped ${plural(skipped.length, 'file', 'files')}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`;
  return `${studies}${plural(instances, 'instance', 'instances')} in ${series} series; ${skippedText}`;
}

/** One line per conversion issue (duplicates, invalid values), tagged with its study's UID. */
export function formatIssues(outputs: readonly Conversion[]): string[] {
  return outputs.flatMap((o) =>
    o.issues.map((issue) => escapeControlCharacters(`warning: study ${o.studyInstanceUid}: ${issue.code}: ${issue.message}`)),
  );
}
