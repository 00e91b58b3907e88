/** The Patient module of the datasets → FHIR Patient (SPEC §2.4), without id: the form decides it. */
import type { Extension, Identifier, Patient } from 'fhir/r4';
import { getPersonNames, getSequence, getString, getStrings, type Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { defined, nonEmpty } from './fields.js';
import type { ConversionIssue } from './options.js';
import { anyPresent, firstString, firstWith } from './study/pick.js';
import { PATIENT_BIRTH_TIME_URL, US_CORE_ETHNICITY_URL, V2_0203_SYSTEM } from './systems.js';
import { toFhirDate } from './values/date.js';
import { toFhirDateTime } from './values/datetime.js';
import { issuerFromItem, issuerFromText, mappedSystem, withIssuer, type IssuerParts, type IssuerSystems } from './values/issuer.js';
import type { OffsetResolver } from './values/offset.js';
import { toHumanNames } from './values/person-name.js';
import { toGender } from './values/sex.js';

export interface PatientContext {
  patientIdentifierSystem?: string;
  /** Issuer text → system URI, as the site names its assigning authorities. */
  issuerSystems?: IssuerSystems;
  /** Offset for Patient's Birth Time: Timezone Offset From UTC of the study, if any. */
  offset?: string;
  resolveOffset?: OffsetResolver;
}

/**
 * Patient ID + Issuer of Patient ID (0010,0021) and its qualifiers (0010,0024), SPEC §2.7
 * "Systems": the Universal Entity ID of the qualifiers (an OID of type ISO, or a URI) wins, then
 * an issuer that is itself a URI/OID, then the site's map of issuer texts (Issuer of Patient ID,
 * then the qualifiers' Local Namespace Entity ID), then the configured default system. A
 * plain-text issuer always names the assigner.
 */
export function patientIdentifier(
  datasets: readonly Dataset[],
  defaultSystem?: string,
  issuerSystems?: IssuerSystems,
): Identifier | undefined {
  const ds = firstWith(datasets, Tag.PatientID);
  if (ds === undefined) return undefined;
  const value = getString(ds, Tag.PatientID);
  if (value === undefined) return undefined;
  const issuerText = getString(ds, Tag.IssuerOfPatientID);
  const qualifiers = getSequence(ds, Tag.IssuerOfPatientIDQualifiersSequence)[0];
  const fromItem = issuerFromItem(qualifiers);
  const fromText = issuerFromText(issuerText);
  const local = qualifiers === undefined ? undefined : getString(qualifiers, Tag.LocalNamespaceEntityID);
  const issuer: IssuerParts = {};
  const system = fromItem.system ?? fromText.system ?? mappedSystem(issuerText, issuerSystems) ?? mappedSystem(local, issuerSystems);
  const assignerDisplay = fromText.assignerDisplay ?? fromItem.assignerDisplay;
  if (system !== undefined) issuer.system = system;
  if (assignerDisplay !== undefined) issuer.assignerDisplay = assignerDisplay;
  return withIssuer(
    { use: 'usual', type: { coding: [{ system: V2_0203_SYSTEM, code: 'MR' }] } },
    value,
    issuer,
    defaultSystem,
  );
}

/** Builds the Patient; invalid birth dates and unusable birth times are reported, without their values (PHI). */
export function buildPatient(
  datasets: readonly Dataset[],
  context: PatientContext,
  issues: ConversionIssue[],
): Patient {
  const identifier = patientIdentifier(datasets, context.patientIdentifierSystem, context.issuerSystems);
  const nameDs = firstWith(datasets, Tag.PatientName);
  const names = nameDs === undefined ? [] : toHumanNames(getPersonNames(nameDs, Tag.PatientName));
  const sexDs = firstWith(datasets, Tag.PatientSex);
  const gender = toGender(sexDs === undefined ? undefined : getString(sexDs, Tag.PatientSex), anyPresent(datasets, Tag.PatientSex));

  const rawBirthDate = firstString(datasets, Tag.PatientBirthDate);
  const birthDate = toFhirDate(rawBirthDate);
  if (rawBirthDate !== undefined && birthDate === undefined) {
    issues.push({ code: 'invalid-value', message: "Patient's Birth Date (0010,0030) is not a valid DA; omitted" });
  }
  let birthDateElement: Patient['_birthDate'];
  const rawBirthTime = firstString(datasets, Tag.PatientBirthTime);
  if (birthDate !== undefined && rawBirthTime !== undefined) {
    const birthTime = toFhirDateTime(rawBirthDate, rawBirthTime, context.offset, context.resolveOffset);
    if (birthTime !== undefined && birthTime.includes('T')) {
      birthDateElement = { extension: [{ url: PATIENT_BIRTH_TIME_URL, valueDateTime: birthTime }] };
    } else {
      issues.push({
        code: 'invalid-value',
        message: "Patient's Birth Time (0010,0032) omitted: invalid, or no UTC offset known for it",
      });
    }
  }

  const address = firstString(datasets, Tag.PatientAddress);
  const phoneDs = firstWith(datasets, Tag.PatientTelephoneNumbers);
  const phones = phoneDs === undefined ? [] : getStrings(phoneDs, Tag.PatientTelephoneNumbers);
  const ethnicGroup = firstString(datasets, Tag.EthnicGroup);
  const ethnicity: Extension | undefined =
    ethnicGroup === undefined
      ? undefined
      : { url: US_CORE_ETHNICITY_URL, extension: [{ url: 'text', valueString: ethnicGroup }] };

  return defined<Patient, 'extension' | 'identifier' | 'active' | 'name' | 'telecom' | 'gender' | 'birthDate' | '_birthDate' | 'address'>(
    {
      extension: ethnicity === undefined ? undefined : [ethnicity],
      identifier: identifier === undefined ? undefined : [identifier],
      active: true,
      name: nonEmpty(names),
      telecom: nonEmpty(phones.map((value) => ({ system: 'phone' as const, value }))),
      gender,
      birthDate,
      _birthDate: birthDateElement,
      address: address === undefined ? undefined : [{ text: address }],
    },
    { resourceType: 'Patient' },
  );
}
