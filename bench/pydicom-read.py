"""Baseline for the folder benchmark: pydicom reading the header of every file under a folder.

Usage: python3 bench/pydicom-read.py <dir> [lazy|decode] [TAG ...]

lazy   dcmread(path, stop_before_pixels=True) of every file, as a Python script over a folder
       would start: pydicom keeps element values raw until they are used.
decode the same, then reads the value of each TAG (8 hex digits) the file holds, which is the
       work the folder converter's reader does for the elements it maps.

Prints the number of files read; the caller times the whole process.
"""
import os
import sys

import pydicom


def main() -> None:
    folder = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "lazy"
    tags = [int(t, 16) for t in sys.argv[3:]]
    if mode not in ("lazy", "decode"):
        raise SystemExit(f"unknown mode {mode}: lazy or decode")
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            dataset = pydicom.dcmread(os.path.join(root, name), stop_before_pixels=True)
            if mode == "decode":
                for tag in tags:
                    if tag in dataset:
                        dataset[tag].value
            count += 1
    print(count)


main()
