/** Publishing converted studies to an external FHIR server (SPEC §4 "Push"): client, one-shot post, CLI options, bridge outbox. */
export { createFhirClient } from './fhir-client.js';
export type { FhirAuth, FhirClient, FhirClientOptions } from './fhir-client.js';
export { FhirServerError, operationOutcomeIssues } from './fhir-server-error.js';
export { postBundle, authFromOptions } from './post-bundle.js';
export type { PostBundleOptions } from './post-bundle.js';
export { postTransaction, runPost } from './cli-options.js';
export type { PostIo } from './cli-options.js';
export { parsePostOptions, postHelpLines, postOptionSpecs } from './post-options.js';
export type { PostOptionValues } from './post-options.js';
export { createPushOutbox } from './outbox.js';
export type { PushOutbox, PushOutboxOptions, PushOutboxStatus, PushLogger } from './outbox.js';
export { pushSyncHooks } from './sync-hooks.js';
export type { PushSyncHooks, PushSyncHooksOptions } from './sync-hooks.js';
export { isRetryableStatus, parseRetryAfter, retryDelay } from './retry.js';
export type { BackoffPolicy } from './retry.js';
export { createBridgePush } from './bridge-push.js';
export type { BridgePush, BridgePushOptions, BridgePushSettings } from './bridge-push.js';
export { storedStudyBundle } from './stored-study-bundle.js';
