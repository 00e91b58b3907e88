/** Scheduled QIDO-RS reconciliation of the store with the DICOMweb source, and what may be stored: stable studies only (SPEC §4). */
export { createReconciler } from './reconciler.js';
export type { ConfirmAbsent, ConfirmedDeletions, HeldDeletions, Reconciler, ReconcilerOptions, ReconcileSummary, SearchStudies } from './reconciler.js';
export { reconcileWindow, startedInWindow, type ReconcileWindow } from './window.js';
export { createOrthancRest, type OrthancRest, type OrthancRestOptions, type OrthancStudyLookup } from './orthanc-rest.js';
export { createQuietPeriod, type QuietPeriod, type QuietPeriodOptions, type QuietPeriodVerdict } from './quiet-period.js';
export { createOrthancIdHints, DEFAULT_MAX_HINTS, type OrthancIdHints, type OrthancStudyHint } from './orthanc-id-hints.js';
export { createStabilityGate, type StabilityGate, type StabilityGateOptions, type StabilityVerdict } from './stability.js';
export { createConfirmAbsent, type ConfirmAbsentOptions } from './confirm-absent.js';
export { DEFAULT_DELETION_GUARD_SHARE, isMassDeletion, type ListingGap } from './deletion-guard.js';
export { heldDeletionsReason } from './deletion-guard.js';
export { startStartupCheck, type StartupCheck, type StartupCheckOptions } from './startup-check.js';
export { createOrthancStudyListing, createStudyListing, ORTHANC_LISTING_PAGE, type OrthancListing, type OrthancStudyListingOptions, type StudyListingOptions } from './study-listing.js';
