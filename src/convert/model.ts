/**
 * The release-independent reading of one study: every SPEC §2 element decided once, with R4
 * shapes (Coding, CodeableConcept); the R4, R5 and Bundle renderers only place and reshape it.
 */
import type {
  CodeableConcept,
  Coding,
  Identifier,
  Patient,
  Reference,
} from 'fhir/r4';
import { getSequence, getString, getStrings, type Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { toBodySite } from './body-part/index.js';
import { ConversionError } from './errors.js';
import type { ConversionIssue, ConvertOptions } from './options.js';
import { readOrder, type OrderInfo } from './orders.js';
import { buildPatient } from './patient.js';
import { PractitionerRegistry, type PractitionerEntry } from './practitioners.js';
import { groupDatasets, type GroupedSeries } from './study/group.js';
import { firstWith } from './study/pick.js';
import {
  DATA_ABSENT_REASON_URL,
  DCM_SYSTEM,
  DICOM_UID_SYSTEM,
  PARTICIPATION_TYPE_SYSTEM,
  URI_SYSTEM,
} from './systems.js';
import { toCodeableConcepts } from './values/coding.js';
import { toFhirDateTime } from './values/datetime.js';
import { issuerFromItem, withIssuer } from './values/issuer.js';
import { toLaterality } from './values/laterality.js';
import { createOffsetResolver, fromDicomOffset, type OffsetResolver } from './values/offset.js';

export interface InstanceModel {
  uid: string;
  /** Required (1..1) in R4 and R5: a data-absent-reason when the dataset has no SOP Class UID. */
  sopClass: Coding;
  number?: number;
  title?: string;
}

export interface PerformerModel {
  function: CodeableConcept;
  practitioner: PractitionerEntry;
}

export interface SeriesModel {
  uid: string;
  number?: number;
  /** With a data-absent-reason extension when the series has no Modality. */
  modality: Coding;
  modalityKnown: boolean;
  description?: string;
  numberOfInstances: number;
  bodySite?: Coding;
  laterality?: Coding;
  specimen: Reference[];
  started?: string;
  performers: PerformerModel[];
  instances: InstanceModel[];
}

export interface StudyModel {
  uid: string;
  /** Study Instance UID identifier, then Accession Number, then Study ID. */
  identifiers: Identifier[];
  modalities: Coding[];
  started?: string;
  order: OrderInfo;
  referrer?: PractitionerEntry;
  description?: string;
  location?: string;
  procedureCodes: CodeableConcept[];
  reasonCodes: CodeableConcept[];
  numberOfInstances: number;
  series: SeriesModel[];
  patient: Patient;
  practitioners: PractitionerEntry[];
  weightKg?: number;
  heightM?: number;
  issues: ConversionIssue[];
}

/** v3 ParticipationType: the performing physician performs, operators assist (R4 ImagingStudy.series.performer.function). */
const PERFORMER_FUNCTION: CodeableConcept = {
  coding: [{ system: PARTICIPATION_TYPE_SYSTEM, code: 'PRF', display: 'performer' }],
};
const OPERATOR_FUNCTION: CodeableConcept = {
  coding: [{ system: PARTICIPATION_TYPE_SYSTEM, code: 'SPRF', display: 'secondary performer' }],
};

/**
 * A required Coding that DICOM did not provide: stated as unknown with the data-absent-reason
 * extension (FHIR R4 extension data-absent-reason) rather than an invented value such as modality `OT`.
 */
function absent(): Coding {
  return { extension: [{ url: DATA_ABSENT_REASON_URL, valueCode: 'unknown' }] };
}

function stringOf(datasets: readonly Dataset[], tag: Parameters<typeof getString>[1]): string | undefined {
  const ds = firstWith(datasets, tag);
  return ds === undefined ? undefined : getString(ds, tag);
}

/**
 * Instance title (SPEC §2.3): Document Title for encapsulated documents, else the Concept Name
 * of SR and other non-images, else Image Type values joined with `\` as the Python library did.
 */
function instanceTitle(ds: Dataset): string | undefined {
  const documentTitle = getString(ds, Tag.DocumentTitle);
  if (documentTitle !== undefined) return documentTitle;
  const conceptName = getSequence(ds, Tag.ConceptNameCodeSequence)[0];
  const meaning = conceptName === undefined ? undefined : getString(conceptName, Tag.CodeMeaning);
  if (meaning !== undefined) return meaning;
  const imageType = getStrings(ds, Tag.ImageType);
  return imageType.length === 0 ? undefined : imageType.join('\\');
}

function instanceModel(uid: string, number: number | undefined, ds: Dataset): InstanceModel {
  const sopClass = getString(ds, Tag.SOPClassUID);
  const out: InstanceModel = {
    uid,
    sopClass: sopClass === undefined ? absent() : { system: URI_SYSTEM, code: `urn:oid:${sopClass}` },
  };
  if (number !== undefined) out.number = number;
  const title = instanceTitle(ds);
  if (title !== undefined) out.title = title;
  return out;
}

/** Specimen Description Sequence items (PS3.3 C.7.6.22) → logical references by identifier. */
function specimens(datasets: readonly Dataset[]): Reference[] {
  const seen = new Set<string>();
  const out: Reference[] = [];
  for (const ds of datasets) {
    if (ds[Tag.SpecimenDescriptionSequence] === undefined) continue;
    for (const item of getSequence(ds, Tag.SpecimenDescriptionSequence)) {
      const value = getString(item, Tag.SpecimenIdentifier);
      if (value === undefined) continue;
      const identifier = withIssuer({}, value, issuerFromItem(getSequence(item, Tag.IssuerOfTheSpecimenIdentifierSequence)[0]));
      const key = `${identifier.system ?? ''}|${identifier.assigner?.display ?? ''}|${value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ type: 'Specimen', identifier });
    }
  }
  return out;
}

interface TimeContext {
  resolveOffset?: OffsetResolver;
}

function offsetOf(ds: Dataset): string | undefined {
  return fromDicomOffset(getString(ds, Tag.TimezoneOffsetFromUTC));
}

function seriesModel(
  grouped: GroupedSeries,
  registry: PractitionerRegistry,
  time: TimeContext,
  includeInstances: boolean,
): SeriesModel {
  const datasets = grouped.instances.map((i) => i.dataset);
  const modalityCode = stringOf(datasets, Tag.Modality);
  const modality: Coding = modalityCode === undefined ? absent() : { system: DCM_SYSTEM, code: modalityCode };
  const out: SeriesModel = {
    uid: grouped.uid,
    modality,
    modalityKnown: modalityCode !== undefined,
    numberOfInstances: grouped.instances.length,
    specimen: specimens(datasets),
    performers: [],
    instances: includeInstances ? grouped.instances.map((i) => instanceModel(i.uid, i.number, i.dataset)) : [],
  };
  if (grouped.number !== undefined) out.number = grouped.number;
  const description = stringOf(datasets, Tag.SeriesDescription);
  if (description !== undefined) out.description = description;
  const bodySite = toBodySite(stringOf(datasets, Tag.BodyPartExamined));
  if (bodySite !== undefined) out.bodySite = bodySite;
  const laterality = toLaterality(stringOf(datasets, Tag.Laterality) ?? stringOf(datasets, Tag.ImageLaterality));
  if (laterality !== undefined) out.laterality = laterality;
  const dateDs = firstWith(datasets, Tag.SeriesDate);
  if (dateDs !== undefined) {
    const started = toFhirDateTime(
      getString(dateDs, Tag.SeriesDate),
      getString(dateDs, Tag.SeriesTime),
      offsetOf(dateDs),
      time.resolveOffset,
    );
    if (started !== undefined) out.started = started;
  }
  const physicianDs =
    firstWith(datasets, Tag.PerformingPhysicianName) ?? firstWith(datasets, Tag.PerformingPhysicianIdentificationSequence);
  if (physicianDs !== undefined) {
    for (const practitioner of registry.addFromElements(
      physicianDs,
      Tag.PerformingPhysicianName,
      Tag.PerformingPhysicianIdentificationSequence,
    )) {
      out.performers.push({ function: PERFORMER_FUNCTION, practitioner });
    }
  }
  const operatorDs = firstWith(datasets, Tag.OperatorsName) ?? firstWith(datasets, Tag.OperatorIdentificationSequence);
  if (operatorDs !== undefined) {
    for (const practitioner of registry.addFromElements(operatorDs, Tag.OperatorsName, Tag.OperatorIdentificationSequence)) {
      if (out.performers.some((p) => p.practitioner === practitioner)) continue;
      out.performers.push({ function: OPERATOR_FUNCTION, practitioner });
    }
  }
  return out;
}

/** A positive finite measurement, else `undefined` with an issue (0 is "unknown" on many modalities). */
function measurement(
  datasets: readonly Dataset[],
  tag: typeof Tag.PatientWeight | typeof Tag.PatientSize,
  label: string,
  issues: ConversionIssue[],
): number | undefined {
  const raw = stringOf(datasets, tag);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  issues.push({ code: 'invalid-value', message: `${label} is not a positive number; omitted` });
  return undefined;
}

/**
 * Reads one study. Throws ConversionError for no datasets, datasets of several studies or
 * without Study Instance UID; everything the study survives is reported in `issues`.
 */
export function buildStudyModel(datasets: readonly Dataset[], options: ConvertOptions): StudyModel {
  if (datasets.length === 0) throw new ConversionError('no-datasets', 'no datasets to convert');
  const counts = new Map<string, number>();
  let missingStudyUid = 0;
  for (const ds of datasets) {
    const uid = getString(ds, Tag.StudyInstanceUID);
    if (uid === undefined) missingStudyUid += 1;
    else counts.set(uid, (counts.get(uid) ?? 0) + 1);
  }
  if (counts.size > 1) {
    const list = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([uid, n]) => `${uid} (${n})`);
    throw new ConversionError('multiple-studies', `datasets belong to ${counts.size} studies: ${list.join(', ')}`);
  }
  const uid = [...counts.keys()][0];
  if (uid === undefined || missingStudyUid > 0) {
    throw new ConversionError(
      'missing-study-uid',
      `${missingStudyUid} of ${datasets.length} dataset(s) have no Study Instance UID (0020,000D)`,
    );
  }

  const grouped = groupDatasets(datasets);
  const issues = [...grouped.issues];
  const ordered = grouped.ordered;
  const time: TimeContext = {};
  if (options.timezone !== undefined) time.resolveOffset = createOffsetResolver(options.timezone);
  const registry = new PractitionerRegistry();

  const identifiers: Identifier[] = [{ system: DICOM_UID_SYSTEM, value: `urn:oid:${uid}` }];
  const order = readOrder(ordered);
  if (order.accession !== undefined) identifiers.push(order.accession);
  const studyId = stringOf(ordered, Tag.StudyID);
  if (studyId !== undefined) identifiers.push({ use: 'secondary', type: { text: 'Study ID' }, value: studyId });

  const referrerDs =
    firstWith(ordered, Tag.ReferringPhysicianName) ?? firstWith(ordered, Tag.ReferringPhysicianIdentificationSequence);
  const referrer =
    referrerDs === undefined
      ? undefined
      : registry.addFromElements(referrerDs, Tag.ReferringPhysicianName, Tag.ReferringPhysicianIdentificationSequence)[0];

  const series = grouped.series.map((s) => seriesModel(s, registry, time, options.includeInstances !== false));
  const modalities = [...new Set(series.filter((s) => s.modalityKnown).map((s) => s.modality.code as string))]
    .sort()
    .map((code): Coding => ({ system: DCM_SYSTEM, code }));

  const dateDs = firstWith(ordered, Tag.StudyDate);
  const studyOffset = dateDs === undefined ? undefined : offsetOf(dateDs);
  const started =
    dateDs === undefined
      ? undefined
      : toFhirDateTime(getString(dateDs, Tag.StudyDate), getString(dateDs, Tag.StudyTime), studyOffset, time.resolveOffset);
  if (dateDs !== undefined && started === undefined) {
    issues.push({ code: 'invalid-value', message: 'Study Date (0008,0020) is not a valid DA; started omitted' });
  }

  const procedureDs = firstWith(ordered, Tag.ProcedureCodeSequence);
  const reasonDs = firstWith(ordered, Tag.ReasonForRequestedProcedureCodeSequence);
  let reasonCodes = reasonDs === undefined ? [] : toCodeableConcepts(getSequence(reasonDs, Tag.ReasonForRequestedProcedureCodeSequence));
  if (reasonCodes.length === 0) {
    const reasonText = stringOf(ordered, Tag.ReasonForTheRequestedProcedure);
    if (reasonText !== undefined) reasonCodes = [{ text: reasonText }];
  }

  const firstOffsetDs = firstWith(ordered, Tag.TimezoneOffsetFromUTC);
  const patientContext: Parameters<typeof buildPatient>[1] = {};
  if (options.patientIdentifierSystem !== undefined) patientContext.patientIdentifierSystem = options.patientIdentifierSystem;
  const patientOffset = firstOffsetDs === undefined ? undefined : offsetOf(firstOffsetDs);
  if (patientOffset !== undefined) patientContext.offset = patientOffset;
  if (time.resolveOffset !== undefined) patientContext.resolveOffset = time.resolveOffset;
  const patient = buildPatient(ordered, patientContext, issues);

  const model: StudyModel = {
    uid,
    identifiers,
    modalities,
    order,
    procedureCodes: procedureDs === undefined ? [] : toCodeableConcepts(getSequence(procedureDs, Tag.ProcedureCodeSequence)),
    reasonCodes,
    numberOfInstances: series.reduce((sum, s) => sum + s.numberOfInstances, 0),
    series,
    patient,
    practitioners: registry.entries,
    issues,
  };
  if (started !== undefined) model.started = started;
  if (referrer !== undefined) model.referrer = referrer;
  const description = stringOf(ordered, Tag.StudyDescription);
  if (description !== undefined) model.description = description;
  const location = stringOf(ordered, Tag.InstitutionalDepartmentName) ?? stringOf(ordered, Tag.PerformedLocation);
  if (location !== undefined) model.location = location;
  const weight = measurement(ordered, Tag.PatientWeight, "Patient's Weight (0010,1030)", issues);
  if (weight !== undefined) model.weightKg = weight;
  const height = measurement(ordered, Tag.PatientSize, "Patient's Size (0010,1020)", issues);
  if (height !== undefined) model.heightM = height;
  return model;
}
