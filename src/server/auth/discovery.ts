/**
 * What a client reads before it asks for a token: `/.well-known/smart-configuration` (SMART App
 * Launch 2.x §"SMART on FHIR Discovery") and the CapabilityStatement's `rest.security` (FHIR R4
 * §2.40, with the SMART `oauth-uris` extension and the `SMART-on-FHIR` service code).
 */
import type { CapabilityStatementRestSecurity } from 'fhir/r4';
import type { JsonBody } from '../request.js';
import { ADMIN_SCOPE } from './scopes.js';

export interface OAuthDiscovery {
  issuer: string;
  tokenUrl: string;
  jwksUrl?: string;
  authorizeUrl?: string;
}

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';
const SECURITY_SERVICE = 'http://terminology.hl7.org/CodeSystem/restful-security-service';

/** The scopes this server honours (user/ and system/, v2 and v1 spellings) and its admin scope. */
export const SUPPORTED_SCOPES = [
  'system/ImagingStudy.rs',
  'system/ImagingStudy.read',
  'user/ImagingStudy.rs',
  'user/ImagingStudy.read',
  'system/*.rs',
  'system/*.read',
  'user/*.rs',
  'user/*.read',
  ADMIN_SCOPE,
];

export function smartConfiguration(discovery: OAuthDiscovery): JsonBody {
  const interactive = discovery.authorizeUrl !== undefined;
  return {
    issuer: discovery.issuer,
    ...(discovery.jwksUrl === undefined ? {} : { jwks_uri: discovery.jwksUrl }),
    ...(interactive ? { authorization_endpoint: discovery.authorizeUrl } : {}),
    token_endpoint: discovery.tokenUrl,
    grant_types_supported: interactive ? ['authorization_code', 'client_credentials'] : ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: interactive ? ['code'] : [],
    capabilities: [
      'client-confidential-asymmetric',
      'client-confidential-symmetric',
      'permission-v1',
      'permission-v2',
      ...(interactive ? ['launch-standalone', 'client-public', 'permission-user'] : []),
    ],
    ...(interactive ? { code_challenge_methods_supported: ['S256'] } : {}),
  };
}

export interface SecurityDescription {
  /** `API_TOKEN` is accepted. */
  apiToken: boolean;
  oauth?: OAuthDiscovery;
}

/** `rest.security`, or undefined when reads need no credentials. */
export function restSecurity({ apiToken, oauth }: SecurityDescription): CapabilityStatementRestSecurity | undefined {
  if (oauth === undefined) {
    return apiToken ? { description: 'Send Authorization: Bearer <API token> with every ImagingStudy request.' } : undefined;
  }
  const uris = [{ url: 'token', valueUri: oauth.tokenUrl }, ...(oauth.authorizeUrl === undefined ? [] : [{ url: 'authorize', valueUri: oauth.authorizeUrl }])];
  return {
    extension: [{ url: OAUTH_URIS, extension: uris }],
    cors: false,
    service: [{ coding: [{ system: SECURITY_SERVICE, code: 'SMART-on-FHIR' }], text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)' }],
    description:
      'OAuth 2.0 bearer access tokens (JWT) from ' +
      oauth.issuer +
      ' with SMART scopes user/ or system/ ImagingStudy.rs (or .read); patient/ scopes are refused.' +
      (apiToken ? ' The static API token is accepted too.' : ''),
  };
}
