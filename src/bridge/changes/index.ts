/** Orthanc change-feed follower (SPEC §4, Change feed). */
export { createChangeFeedFollower, DEFAULT_CURSOR_NAME } from './follower.js';
export type { ChangeFeedFollower, ChangeFeedFollowerOptions, ChangeFeedStore, PollSummary } from './follower.js';
export { isOrthancId } from './orthanc-changes.js';
