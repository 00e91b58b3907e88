#!/usr/bin/env bash
# Regenerates samples/ct-study/ (a synthetic 2-series CT study, no real patient) from
# samples/ct-study.template.dump with dcmtk's dump2dcm. UIDs are 2.25 UUID-derived, deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."
uid() { python3 -c "import uuid,sys;print('2.25.%d'%uuid.uuid5(uuid.NAMESPACE_URL,'dicom2fhir-sample/'+sys.argv[1]).int)" "$1"; }
out=samples/ct-study
rm -rf "$out" && mkdir -p "$out"
study=$(uid study)
n=0
for s in 1 2; do
  series=$(uid "series$s")
  if [ "$s" = 1 ]; then desc="Topogram"; time=101600; else desc="Thorax 1.0 mm"; time=102000; fi
  for i in 1 2 3; do
    n=$((n + 1))
    sed -e "s/SOPUID/$(uid "sop$s.$i")/g; s/SERUID/$series/; s/SERNUM/$s/; s/INSTNUM/$i/" \
        -e "s/SERDESC/$desc/; s/SERTIME/$time/; s/STUDYUID/$study/" \
        samples/ct-study.template.dump > "$out/.tmp.dump"
    dump2dcm "$out/.tmp.dump" "$out/IM$n.dcm"
  done
done
rm "$out/.tmp.dump"
