/** Configuration of `dicom2fhir serve`: one table of settings, loaded from the environment and flags. */
export { loadConfig } from './load.js';
export type { Config, LoadResult } from './load.js';
export { settings } from './settings.js';
export type { Setting, SettingKey } from './settings.js';
export { parseDuration } from './duration.js';
