/**
 * The store's `/readyz` reasons: the faults its calls met (full, locked, unreadable, corrupted).
 * While a full disk or a lock held elsewhere is reported, each check first tries a small write,
 * so the condition clears once the cause is gone even when nothing else writes.
 */
import { isStoreFault } from './faults.js';
import type { StoreCondition } from './health.js';
import type { BridgeStore } from './sqlite-store.js';

export function storeReadiness(store: Pick<BridgeStore, 'health' | 'probeWrite'>): () => StoreCondition[] {
  return () => {
    if (store.health.has('store-full') || store.health.has('store-locked')) {
      try {
        store.probeWrite();
      } catch (error) {
        // Still full or locked (recorded by the store itself): reported below.
        if (!isStoreFault(error)) throw error;
      }
    }
    return store.health.conditions();
  };
}
