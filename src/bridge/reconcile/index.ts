/** Scheduled QIDO-RS reconciliation of the store with the DICOMweb source (SPEC §4). */
export { createReconciler } from './reconciler.js';
export type { Reconciler, ReconcilerOptions, ReconcileSummary, SearchStudies } from './reconciler.js';
export { reconcileWindow, startedInWindow, type ReconcileWindow } from './window.js';
