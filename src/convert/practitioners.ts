/** Referring, performing physicians and operators → deduplicated Practitioners (SPEC §2.1 referrer, §2.2 performer). */
import type { HumanName, Identifier, Practitioner } from 'fhir/r4';
import { getPersonNames, getSequence, getString, type Dataset } from '../dicom/dataset.js';
import type { TagKey } from '../dicom/tags.js';
import { Tag } from '../dicom/tags.js';
import { issuerFromText, withIssuer, type IssuerSystems } from './values/issuer.js';
import { toHumanNames } from './values/person-name.js';

/** A Practitioner as found in DICOM, before it is given a place (contained or Bundle entry). */
export interface PractitionerEntry {
  /** `practitioner-1`, `practitioner-2`… in order of first appearance. */
  localId: string;
  resource: Practitioner;
}

/**
 * Person Identification Code Sequence (0040,1101) inside a Person Identification Macro item
 * (PS3.3 §10.1): the code value is the person's id, the designator names its issuer.
 */
function identifiersOf(item: Dataset | undefined, systems: IssuerSystems | undefined): Identifier[] {
  if (item === undefined) return [];
  const out: Identifier[] = [];
  for (const code of getSequence(item, Tag.PersonIdentificationCodeSequence)) {
    const value = getString(code, Tag.CodeValue) ?? getString(code, Tag.LongCodeValue);
    if (value === undefined) continue;
    out.push(withIssuer({}, value, issuerFromText(getString(code, Tag.CodingSchemeDesignator), systems)));
  }
  return out;
}

/**
 * Collects Practitioners for one conversion, so a physician who performed every series, or
 * who both referred and performed, appears once.
 */
export class PractitionerRegistry {
  readonly entries: PractitionerEntry[] = [];
  readonly #byKey = new Map<string, PractitionerEntry>();

  /** `issuerSystems` maps coding scheme designators of person identifiers to systems. */
  constructor(private readonly issuerSystems?: IssuerSystems) {}

  /** Registers the people of one PN element and its identification sequence (paired by position). */
  addFromElements(ds: Dataset, nameTag: TagKey, idSequenceTag: TagKey): PractitionerEntry[] {
    const names = getPersonNames(ds, nameTag);
    const items = getSequence(ds, idSequenceTag);
    const out: PractitionerEntry[] = [];
    const count = Math.max(names.length, items.length);
    for (let i = 0; i < count; i += 1) {
      const name = names[i];
      const entry = this.add(name === undefined ? [] : toHumanNames([name]), identifiersOf(items[i], this.issuerSystems));
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  /**
   * An identifier names one person, so people with identifiers are the same Practitioner when
   * their identifiers are (a later spelling of the name adds nothing); people known only by
   * name are the same when the names are. This also keeps a transaction Bundle from holding
   * two entries that a server would resolve to one resource.
   */
  add(names: HumanName[], identifiers: Identifier[]): PractitionerEntry | undefined {
    if (names.length === 0 && identifiers.length === 0) return undefined;
    const key = identifiers.length > 0 ? `id:${JSON.stringify(identifiers)}` : `name:${JSON.stringify(names)}`;
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    const resource: Practitioner = { resourceType: 'Practitioner' };
    if (identifiers.length > 0) resource.identifier = identifiers;
    if (names.length > 0) resource.name = names;
    const entry: PractitionerEntry = { localId: `practitioner-${this.entries.length + 1}`, resource };
    this.entries.push(entry);
    this.#byKey.set(key, entry);
    return entry;
  }
}
