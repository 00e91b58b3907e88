/** Study model → FHIR R4 ImagingStudy (R4 §ImagingStudy; SPEC §2.1–2.3). */
import type {
  ImagingStudy,
  ImagingStudySeries,
  ImagingStudySeriesInstance,
  ImagingStudySeriesPerformer,
  Resource,
} from 'fhir/r4';
import type { InstanceElement, SeriesElement, StudyElement } from './elements.js';
import { defined, nonEmpty } from './fields.js';
import type { InstanceModel, SeriesModel, StudyModel } from './model.js';
import type { Placement } from './placement.js';

export function instanceR4(instance: InstanceModel): ImagingStudySeriesInstance {
  return defined<ImagingStudySeriesInstance, InstanceElement>({
    uid: instance.uid,
    sopClass: instance.sopClass,
    number: instance.number,
    title: instance.title,
  });
}

function seriesR4(series: SeriesModel, placement: Placement): ImagingStudySeries {
  const performers: ImagingStudySeriesPerformer[] = series.performers.map((p) => ({
    function: p.function,
    actor: placement.practitioner(p.practitioner),
  }));
  return defined<ImagingStudySeries, SeriesElement>({
    uid: series.uid,
    number: series.number,
    modality: series.modality,
    description: series.description,
    numberOfInstances: series.numberOfInstances,
    bodySite: series.bodySite,
    laterality: series.laterality,
    specimen: nonEmpty(series.specimen),
    started: series.started,
    performer: nonEmpty(performers),
    instance: nonEmpty(series.instances.map(instanceR4)),
  });
}

/** The R4 ImagingStudy; `contained` holds the Patient/Practitioners/Endpoint in the self-contained form. */
export function imagingStudyR4(model: StudyModel, placement: Placement, contained: Resource[]): ImagingStudy {
  return defined<ImagingStudy, StudyElement | 'procedureCode' | 'reasonCode'>(
    {
      id: placement.id,
      contained: nonEmpty(contained),
      identifier: model.identifiers,
      status: 'available',
      modality: nonEmpty(model.modalities),
      subject: placement.subject,
      started: model.started,
      basedOn: placement.basedOn,
      referrer: model.referrer === undefined ? undefined : placement.practitioner(model.referrer),
      endpoint: placement.endpoint,
      numberOfSeries: model.series.length,
      numberOfInstances: model.numberOfInstances,
      procedureCode: nonEmpty(model.procedureCodes),
      location: model.location === undefined ? undefined : { display: model.location },
      reasonCode: nonEmpty(model.reasonCodes),
      description: model.description,
      series: nonEmpty(model.series.map((s) => seriesR4(s, placement))),
    },
    { resourceType: 'ImagingStudy' },
  );
}
