"""Independent reference for the folder converter: pydicom's own view of a folder.

Prints JSON {"files": N, "placed": files in a study, "studies": {study_uid: {series_uid: distinct SOP Instance UIDs}}}.
Files pydicom cannot read, DICOMDIRs and datasets without Study Instance UID are left out, as
the converter must leave them out.
"""
import collections
import json
import os
import sys

import pydicom

root = sys.argv[1]
studies = collections.defaultdict(lambda: collections.defaultdict(set))
files = 0
placed = 0
for folder, _, names in os.walk(root, followlinks=True):
    for name in names:
        files += 1
        try:
            ds = pydicom.dcmread(os.path.join(folder, name), stop_before_pixels=True, force=True)
        except Exception:
            continue
        if "DirectoryRecordSequence" in ds:
            continue
        study = str(ds.get("StudyInstanceUID", "")).strip()
        if not study:
            continue
        placed += 1
        series = str(ds.get("SeriesInstanceUID", "")).strip()
        studies[study][series].add(str(ds.get("SOPInstanceUID", "")).strip())
print(json.dumps({"files": files, "placed": placed, "studies": {s: {k: len(v) for k, v in ser.items()} for s, ser in studies.items()}}))
