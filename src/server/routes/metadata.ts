/**
 * `GET /metadata` (FHIR R4 §3.1.0.12 capabilities): what this server really does — read, vread,
 * instance history and search-type on ImagingStudy, exactly the search parameters of
 * `search/parameters.ts` (those `parseStudySearch` accepts), JSON only, and its security
 * (§2.40 CapabilityStatement.rest.security: the API token, or SMART on FHIR, see `auth/discovery.ts`).
 */
import type { CapabilityStatement, CapabilityStatementRestSecurity } from 'fhir/r4';
import type { FhirVersion } from '../../convert/options.js';
import { version } from '../../version.js';
import { restSecurity, type OAuthDiscovery } from '../auth/discovery.js';
import { allOk } from '../outcomes.js';
import { STUDY_RESULT_PARAMETERS, STUDY_SEARCH_PARAMETERS } from '../search/parameters.js';
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
            interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'history-instance' }, { code: 'search-type' }],
            versioning: 'versioned',
            readHistory: true,
            conditionalRead: 'not-match',
            searchParam: [...STUDY_SEARCH_PARAMETERS, ...STUDY_RESULT_PARAMETERS].map(({ name, type, definition, documentation }) => ({
              name,
              type,
              ...(definition === undefined ? {} : { definition }),
              documentation,
            })),
          },
        ],
      },
    ],
  };
}

export async function capabilities(req: FhirRequest, deps: MetadataDeps): Promise<FhirResponse> {
  return [allOk, buildCapabilityStatement(req.baseUrl, deps)];
}
