/** The sync service with the project's converter: WADO-RS metadata → convertStudy → store (SPEC §4). */
import { convertStudy } from '../../convert/index.js';
import { createSyncService as createSyncServiceWith, type ConvertStudy, type SyncServiceOptions } from './service.js';
import type { BridgeSyncService } from './service.js';

export type { BridgeSyncService, ConvertStudy, FetchStudy, SyncServiceOptions, SyncStatus } from './service.js';
export { retryDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { errorMessage, type BridgeLogger } from './logger.js';

/** Builds the sync service; `convert` defaults to the project's converter (the same one the folder CLI uses). */
export function createSyncService(options: Omit<SyncServiceOptions, 'convert'> & { convert?: ConvertStudy }): BridgeSyncService {
  return createSyncServiceWith({ ...options, convert: options.convert ?? convertStudy });
}
