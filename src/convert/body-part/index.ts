/** Body Part Examined (0018,0015) → SNOMED CT Coding via DICOM PS3.16 Annex L (SPEC §2.2 bodySite). */
import type { Coding } from 'fhir/r4';
import table from './body-part-examined-snomed.json' with { type: 'json' };
import { SNOMED_SYSTEM } from '../systems.js';

interface Row {
  bodyPartExamined: string;
  snomed: string;
  display: string;
}

/** Keys are the Annex L defined terms, which are already upper case without separators. */
const BY_TERM: ReadonlyMap<string, Row> = new Map((table as Row[]).map((row) => [row.bodyPartExamined, row]));

/** Free-text spellings seen in the field, after normalisation, → Annex L term. */
const VARIANTS: Readonly<Record<string, string>> = {
  CERVICALSPINE: 'CSPINE',
  THORACICSPINE: 'TSPINE',
  DORSALSPINE: 'TSPINE',
  LUMBARSPINE: 'LSPINE',
  SACRALSPINE: 'SSPINE',
  LUMBOSACRALSPINE: 'LSSPINE',
  HEADANDNECK: 'HEADNECK',
  CHESTANDABDOMEN: 'CHESTABDOMEN',
  CHESTABDOMENPELVIS: 'CHESTABDPELVIS',
  CHESTABDOMENANDPELVIS: 'CHESTABDPELVIS',
  CAP: 'CHESTABDPELVIS',
  ABDOMENANDPELVIS: 'ABDOMENPELVIS',
  ABDPELVIS: 'ABDOMENPELVIS',
  ABDOMINAL: 'ABDOMEN',
  ABD: 'ABDOMEN',
  THORACIC: 'CHEST',
  LUNGS: 'LUNG',
  CRANIUM: 'SKULL',
  WHOLE: 'WHOLEBODY',
  BODY: 'WHOLEBODY',
};

/** Upper case without spaces, `-`, `_` or `.`: `C-Spine`, `c spine`, `C_SPINE` all become `CSPINE`. */
export function normaliseBodyPart(text: string): string {
  return text.toUpperCase().replace(/[\s\-_.]+/g, '');
}

/**
 * Annex L term (after normalisation and the variant list) → SNOMED Coding. Unknown text is
 * kept as `{code: <text>, userSelected: true}`, the Python dicom2fhir form, so nothing the
 * modality wrote is lost and nothing is guessed.
 */
export function toBodySite(value: string | undefined): Coding | undefined {
  if (value === undefined) return undefined;
  const key = normaliseBodyPart(value);
  if (key === '') return undefined;
  const row = BY_TERM.get(key) ?? BY_TERM.get(VARIANTS[key] ?? '');
  if (row !== undefined) return { system: SNOMED_SYSTEM, code: row.snomed, display: row.display };
  return { code: value.trim().replace(/\s+/g, ' '), userSelected: true };
}
