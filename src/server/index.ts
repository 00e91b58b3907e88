/** The bridge's FHIR read API and Orthanc webhooks: framework-free handlers and their Express adapter. */
export { createHttpApp, toFhirRequest } from './express.js';
export type { HttpAppDeps } from './express.js';
export { createHttpListener } from './listener.js';
export type { HttpListenerOptions } from './listener.js';
export { DEFAULT_STUDY_TEXT_CACHE_BYTES } from './direct-read/study-text-cache.js';
export * from './outcomes.js';
export type { FhirRequest, FhirResponse, FhirResource, JsonBody } from './request.js';
export { parseStudySearch, formatStudySearch, DEFAULT_COUNT, MAX_COUNT } from './search/parse.js';
export { buildSearchBundle } from './search/bundle.js';
export { readImagingStudy, FHIR_ID, etagOf, matchesIfNoneMatch } from './routes/read.js';
export { searchImagingStudy, wantsStrictHandling } from './routes/search.js';
export { capabilities, buildCapabilityStatement } from './routes/metadata.js';
export { healthz, readyz, syncBacklog, pushBacklog } from './routes/health.js';
export type { ReadinessCheck, ReadinessReason, ReadinessImpact } from './routes/health.js';
export { stableStudyWebhook, deletedStudyWebhook, ORTHANC_ID } from './routes/webhooks.js';
export type { OrthancStudyIndex, WebhookDeps } from './routes/webhooks.js';
export { tokensEqual, bearerToken, requireBearer } from './auth.js';
