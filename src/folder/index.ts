/** The folder source: walk a directory, read Part 10 headers, group by study, convert. */
export { convertFolder, processDicom2Fhir, DEFAULT_CONCURRENCY } from './convert-folder.js';
export { MIN_FILES_FOR_WORKERS } from './read-headers.js';
export type { FolderConvertOptions, FolderConversion, FolderStudy } from './convert-folder.js';
export { FolderError } from './errors.js';
export type { FolderErrorCode } from './errors.js';
export { FOLDER_SKIP_REASON_LABEL, countSkipReasons } from './skip.js';
export type { FolderSkipReason, SkippedFile } from './skip.js';
