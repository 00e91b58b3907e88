/**
 * `GET /metadata` (FHIR R4 §3.1.0.12 capabilities): what this server really does — read and
 * search-type on ImagingStudy, the four search parameters `parseStudySearch` accepts, JSON only,
 * and its security (§2.40 CapabilityStatement.rest.security: the API token, or SMART on FHIR, see `auth/discovery.ts`).
 */
import type { CapabilityStatement, CapabilityStatementRestSecurity } from 'fhir/r4';
import type { FhirVersion } from '../../convert/options.js';
import { version } from '../../version.js';
import { restSecurity, type OAuthDiscovery } from '../auth/discovery.js';
import { allOk } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';

export interface MetadataDeps {
  fhirVersion: FhirVersion;
  /** Whether reads accept the static `Authorization: Bearer <API token>`. */
  requiresToken: boolean;
  /** OAuth 2.0 / SMART, when access tokens are accepted. */
  oauth?: OAuthDiscovery;
  /** Server start time (CapabilityStatement.date). */
  startedAt: string;
}

const FHIR_RELEASE: Record<FhirVersion, string> = { R4: '4.0.1', R5: '5.0.0' };

function securityOf(deps: MetadataDeps): { security?: CapabilityStatementRestSecurity } {
  const security = restSecurity({ apiToken: deps.requiresToken, ...(deps.oauth === undefined ? {} : { oauth: deps.oauth }) });
  return security === undefined ? {} : { security };
}

export function buildCapabilityStatement(baseUrl: string, deps: MetadataDeps): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: deps.startedAt,
    kind: 'instance',
    software: { name: 'dicom2fhir', version },
    implementation: { description: 'dicom2fhir Orthanc bridge: ImagingStudy read API', url: baseUrl },
    fhirVersion: FHIR_RELEASE[deps.fhirVersion] as CapabilityStatement['fhirVersion'],
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        ...securityOf(deps),
        resource: [
          {
            type: 'ImagingStudy',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            versioning: 'versioned',
            readHistory: false,
            conditionalRead: 'not-match',
            searchParam: [
              { name: 'identifier', type: 'token', documentation: 'Study Instance UID (urn:dicom:uid|urn:oid:<uid> or the bare UID) or accession number' },
              { name: 'modality', type: 'token', documentation: 'DICOM modality of any series; comma-separated values are OR' },
              { name: 'started', type: 'date', documentation: 'Study start; prefixes eq, ne, lt, gt, le, ge; repeat to combine (AND)' },
              { name: '_count', type: 'number', documentation: 'Page size, default 20, at most 1000' },
              { name: '_offset', type: 'number', documentation: 'Number of matches to skip' },
            ],
          },
        ],
      },
    ],
  };
}

export async function capabilities(req: FhirRequest, deps: MetadataDeps): Promise<FhirResponse> {
  return [allOk, buildCapabilityStatement(req.baseUrl, deps)];
}
