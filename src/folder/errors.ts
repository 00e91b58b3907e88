/** The errors a folder conversion stops with; each is an input problem the user can fix. */

export type FolderErrorCode = 'directory-missing' | 'no-dicom' | 'multiple-studies';

export class FolderError extends Error {
  override readonly name = 'FolderError';
  /** With `multiple-studies`: every study found and its files, so a caller can pick one. */
  readonly studies?: Array<{ studyInstanceUid: string; files: string[] }>;
  constructor(
    readonly code: FolderErrorCode,
    message: string,
    options: { cause?: unknown; studies?: Array<{ studyInstanceUid: string; files: string[] }> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.studies !== undefined) this.studies = options.studies;
  }
}
