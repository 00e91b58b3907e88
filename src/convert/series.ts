/** One series of a study: series elements, performers, specimens and instances (SPEC §2.2, §2.3). */
import type { CodeableConcept, Coding, Reference } from 'fhir/r4';
import { getSequence, getString, getStrings, type Dataset } from '../dicom/dataset.js';
import { Tag } from '../dicom/tags.js';
import { toBodySite } from './body-part/index.js';
import type { PractitionerEntry, PractitionerRegistry } from './practitioners.js';
import type { ConversionIssue } from './options.js';
import type { GroupedSeries } from './study/group.js';
import { firstString, firstWith } from './study/pick.js';
import { startedOf } from './study/started.js';
import { DATA_ABSENT_REASON_URL, DCM_SYSTEM, PARTICIPATION_TYPE_SYSTEM, URI_SYSTEM } from './systems.js';
import { issuerFromItem, withIssuer } from './values/issuer.js';
import { toLaterality } from './values/laterality.js';
import type { OffsetResolver } from './values/offset.js';

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

/**
 * v3 ParticipationType for ImagingStudy.series.performer.function: the performing physician
 * performs (PRF), operators assist (SPRF). A new object per use: outputs share no objects.
 */
function performerFunction(code: 'PRF' | 'SPRF'): CodeableConcept {
  const display = code === 'PRF' ? 'performer' : 'secondary performer';
  return { coding: [{ system: PARTICIPATION_TYPE_SYSTEM, code, display }] };
}

/**
 * A required Coding that DICOM did not provide: stated as unknown with the data-absent-reason
 * extension (FHIR R4 extension registry: data-absent-reason) rather than an invented value
 * such as modality `OT`.
 */
function absent(): Coding {
  return { extension: [{ url: DATA_ABSENT_REASON_URL, valueCode: 'unknown' }] };
}

/**
 * Instance title (SPEC §2.3): Document Title for encapsulated documents, Image Type values
 * joined with `\` for images (as the Python library did), else the Concept Name of SR and
 * other non-images.
 */
function instanceTitle(ds: Dataset): string | undefined {
  const documentTitle = getString(ds, Tag.DocumentTitle);
  if (documentTitle !== undefined) return documentTitle;
  const imageType = getStrings(ds, Tag.ImageType);
  if (imageType.length > 0) return imageType.join('\\');
  const conceptName = getSequence(ds, Tag.ConceptNameCodeSequence)[0];
  return conceptName === undefined ? undefined : getString(conceptName, Tag.CodeMeaning);
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

/** One series of the grouped study, performers registered in `registry` in order of appearance. */
export function seriesModel(
  grouped: GroupedSeries,
  registry: PractitionerRegistry,
  resolveOffset: OffsetResolver | undefined,
  includeInstances: boolean,
  issues: ConversionIssue[],
): SeriesModel {
  const datasets = grouped.instances.map((i) => i.dataset);
  const modalityCode = firstString(datasets, Tag.Modality);
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
  const description = firstString(datasets, Tag.SeriesDescription);
  if (description !== undefined) out.description = description;
  const bodySite = toBodySite(firstString(datasets, Tag.BodyPartExamined));
  if (bodySite !== undefined) out.bodySite = bodySite;
  const laterality = toLaterality(firstString(datasets, Tag.Laterality) ?? firstString(datasets, Tag.ImageLaterality));
  if (laterality !== undefined) out.laterality = laterality;
  const dateDs = firstWith(datasets, Tag.SeriesDate);
  if (dateDs !== undefined) {
    const source = { label: `Series Date/Time (0008,0021/0031) of series ${grouped.uid}`, date: Tag.SeriesDate, time: Tag.SeriesTime };
    const started = startedOf(dateDs, source, resolveOffset, issues);
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
      out.performers.push({ function: performerFunction('PRF'), practitioner });
    }
  }
  const operatorDs = firstWith(datasets, Tag.OperatorsName) ?? firstWith(datasets, Tag.OperatorIdentificationSequence);
  if (operatorDs !== undefined) {
    for (const practitioner of registry.addFromElements(operatorDs, Tag.OperatorsName, Tag.OperatorIdentificationSequence)) {
      // Every role is kept (SPEC §2.7): the physician who also operated is listed twice.
      out.performers.push({ function: performerFunction('SPRF'), practitioner });
    }
  }
  return out;
}

