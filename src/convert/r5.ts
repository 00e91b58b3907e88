/**
 * Study model → FHIR R5 ImagingStudy (R5 §ImagingStudy). R5 turns modality, laterality and
 * series.modality into CodeableConcepts, procedureCode into `procedure` and reasonCode into
 * `reason` (CodeableReference), and bodySite into a CodeableReference (`bodySite.concept`).
 */
import type { CodeableConcept as CodeableConceptR4, Coding } from 'fhir/r4';
import type {
  CodeableConcept,
  CodeableReference,
  ImagingStudy,
  ImagingStudySeries,
  ImagingStudySeriesInstance,
  Resource,
} from 'fhir/r5';
import type { InstanceElement, SeriesElement, StudyElement } from './elements.js';
import { defined, nonEmpty } from './fields.js';
import { codingR5, conceptR5, identifierR5, referenceR5 } from './r5-types.js';
import type { SeriesModel, StudyModel } from './model.js';
import type { Placement } from './placement.js';

/** A Coding as a one-coding concept; a data-absent Coding keeps its extension on the concept. */
function concept(coding: Coding): CodeableConcept {
  if (coding.code === undefined && coding.extension !== undefined) {
    return conceptR5({ extension: coding.extension });
  }
  return { coding: [codingR5(coding)] };
}

function reference(value: CodeableConceptR4): CodeableReference {
  return { concept: conceptR5(value) };
}

function seriesR5(series: SeriesModel, placement: Placement): ImagingStudySeries {
  return defined<ImagingStudySeries, SeriesElement>({
    uid: series.uid,
    number: series.number,
    modality: concept(series.modality),
    description: series.description,
    numberOfInstances: series.numberOfInstances,
    bodySite: series.bodySite === undefined ? undefined : { concept: concept(series.bodySite) },
    laterality: series.laterality === undefined ? undefined : concept(series.laterality),
    specimen: nonEmpty(series.specimen.map(referenceR5)),
    started: series.started,
    performer: nonEmpty(
      series.performers.map((p) => ({
        function: conceptR5(p.function),
        actor: referenceR5(placement.practitioner(p.practitioner)),
      })),
    ),
    instance: nonEmpty(
      series.instances.map((i) =>
        defined<ImagingStudySeriesInstance, InstanceElement>({
          uid: i.uid,
          sopClass: codingR5(i.sopClass),
          number: i.number,
          title: i.title,
        }),
      ),
    ),
  });
}

/** The R5 ImagingStudy, element order as in the R5 resource definition. */
export function imagingStudyR5(model: StudyModel, placement: Placement, contained: Resource[]): ImagingStudy {
  return defined<ImagingStudy, StudyElement | 'procedure' | 'reason'>(
    {
      id: placement.id,
      contained: nonEmpty(contained),
      identifier: model.identifiers.map(identifierR5),
      status: 'available',
      modality: nonEmpty(model.modalities.map(concept)),
      subject: referenceR5(placement.subject),
      started: model.started,
      basedOn: placement.basedOn?.map(referenceR5),
      referrer: model.referrer === undefined ? undefined : referenceR5(placement.practitioner(model.referrer)),
      procedure: nonEmpty(model.procedureCodes.map(reference)),
      location: model.location === undefined ? undefined : { display: model.location },
      reason: nonEmpty(model.reasonCodes.map(reference)),
      description: model.description,
      numberOfSeries: model.series.length,
      numberOfInstances: model.numberOfInstances,
      endpoint: placement.endpoint?.map(referenceR5),
      series: nonEmpty(model.series.map((s) => seriesR5(s, placement))),
    },
    { resourceType: 'ImagingStudy' },
  );
}
