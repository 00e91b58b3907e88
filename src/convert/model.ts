/**
 * The release-independent reading of one study: every SPEC §2 element decided once, with R4
 * shapes (Coding, CodeableConcept); the R4, R5 and Bundle renderers only place and reshape it.
 */
import type { CodeableConcept, Coding, Identifier, Patient } from 'fhir/r4';
import { getSequence, getString, type Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { ConversionError } from './errors.js';
import type { ConversionIssue, ConvertOptions } from './options.js';
import { readOrder, type OrderInfo } from './orders.js';
import { buildPatient } from './patient.js';
import { PractitionerRegistry, type PractitionerEntry } from './practitioners.js';
import { seriesModel, type SeriesModel } from './series.js';
import { groupDatasets } from './study/group.js';
import { firstString, firstWith, offsetOf } from './study/pick.js';
import { startedOf } from './study/started.js';
import { DCM_SYSTEM, DICOM_UID_SYSTEM } from './systems.js';
import { toCodeableConcepts } from './values/coding.js';
import { createOffsetResolver, type OffsetResolver } from './values/offset.js';

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

/** A positive finite measurement, else `undefined` with an issue (0 is "unknown" on many modalities). */
function measurement(
  datasets: readonly Dataset[],
  tag: typeof Tag.PatientWeight | typeof Tag.PatientSize,
  label: string,
  issues: ConversionIssue[],
): number | undefined {
  const raw = firstString(datasets, tag);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  issues.push({ code: 'invalid-value', message: `${label} is not a positive number; omitted` });
  return undefined;
}

export type { InstanceModel, PerformerModel, SeriesModel } from './series.js';

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
  const resolveOffset: OffsetResolver | undefined =
    options.timezone === undefined ? undefined : createOffsetResolver(options.timezone);
  const registry = new PractitionerRegistry(options.issuerSystems);

  const identifiers: Identifier[] = [{ system: DICOM_UID_SYSTEM, value: `urn:oid:${uid}` }];
  const order = readOrder(ordered, {
    ...(options.issuerSystems === undefined ? {} : { issuerSystems: options.issuerSystems }),
    ...(options.accessionSystem === undefined ? {} : { accessionSystem: options.accessionSystem }),
  });
  if (order.accession !== undefined) identifiers.push(order.accession);
  const studyId = firstString(ordered, Tag.StudyID);
  if (studyId !== undefined) identifiers.push({ use: 'secondary', type: { text: 'Study ID' }, value: studyId });

  const referrerDs =
    firstWith(ordered, Tag.ReferringPhysicianName) ?? firstWith(ordered, Tag.ReferringPhysicianIdentificationSequence);
  const referrer =
    referrerDs === undefined
      ? undefined
      : registry.addFromElements(referrerDs, Tag.ReferringPhysicianName, Tag.ReferringPhysicianIdentificationSequence)[0];

  const listed = listInstances(grouped.series, options, issues);
  const series = grouped.series.map((s) => seriesModel(s, registry, resolveOffset, listed, issues));
  const modalities = [...new Set(series.filter((s) => s.modalityKnown).map((s) => s.modality.code as string))]
    .sort()
    .map((code): Coding => ({ system: DCM_SYSTEM, code }));

  const dateDs = firstWith(ordered, Tag.StudyDate);
  const started =
    dateDs === undefined
      ? undefined
      : startedOf(dateDs, { label: 'Study Date/Time (0008,0020/0030)', date: Tag.StudyDate, time: Tag.StudyTime }, resolveOffset, issues);

  const procedureDs = firstWith(ordered, Tag.ProcedureCodeSequence);
  const reasonDs = firstWith(ordered, Tag.ReasonForRequestedProcedureCodeSequence);
  let reasonCodes = reasonDs === undefined ? [] : toCodeableConcepts(getSequence(reasonDs, Tag.ReasonForRequestedProcedureCodeSequence));
  if (reasonCodes.length === 0) {
    const reasonText = firstString(ordered, Tag.ReasonForTheRequestedProcedure);
    if (reasonText !== undefined) reasonCodes = [{ text: reasonText }];
  }

  const firstOffsetDs = firstWith(ordered, Tag.TimezoneOffsetFromUTC);
  const patientContext: Parameters<typeof buildPatient>[1] = {};
  if (options.patientIdentifierSystem !== undefined) patientContext.patientIdentifierSystem = options.patientIdentifierSystem;
  if (options.issuerSystems !== undefined) patientContext.issuerSystems = options.issuerSystems;
  const patientOffset = firstOffsetDs === undefined ? undefined : offsetOf(firstOffsetDs);
  if (patientOffset !== undefined) patientContext.offset = patientOffset;
  if (resolveOffset !== undefined) patientContext.resolveOffset = resolveOffset;
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
  const description = firstString(ordered, Tag.StudyDescription);
  if (description !== undefined) model.description = description;
  const location = firstString(ordered, Tag.InstitutionalDepartmentName) ?? firstString(ordered, Tag.PerformedLocation);
  if (location !== undefined) model.location = location;
  const weight = measurement(ordered, Tag.PatientWeight, "Patient's Weight (0010,1030)", issues);
  if (weight !== undefined) model.weightKg = weight;
  const height = measurement(ordered, Tag.PatientSize, "Patient's Size (0010,1020)", issues);
  if (height !== undefined) model.heightM = height;
  model.issues = uniqueIssues(issues);
  return model;
}

/** Whether `series[].instance[]` is written: not with `includeInstances: false`, nor above `maxInstancesListed`. */
function listInstances(series: ReadonlyArray<{ instances: readonly unknown[] }>, options: ConvertOptions, issues: ConversionIssue[]): boolean {
  if (options.includeInstances === false) return false;
  const max = options.maxInstancesListed;
  if (max === undefined) return true;
  const count = series.reduce((sum, s) => sum + s.instances.length, 0);
  if (count <= max) return true;
  issues.push({
    code: 'instances-not-listed',
    message: `${count} instances, more than the ${max} listed at most: series[].instance[] omitted, counts kept`,
  });
  return false;
}

/** The same problem in many datasets or series is one issue. */
function uniqueIssues(issues: readonly ConversionIssue[]): ConversionIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.code}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
