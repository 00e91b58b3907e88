#!/bin/sh
# Starts Orthanc on the project's single configuration file, /etc/orthanc/orthanc.json.
#
# Orthanc 1.10 substitutes ${VARIABLES} in its configuration with strings only, so numeric
# settings (StableAge, ConcurrentJobs…) cannot come from the environment: put them in a JSON
# override file mounted at $ORTHANC_CONFIG_OVERRIDE (default /etc/orthanc/override.json). Its keys
# replace the project file's (objects merged key by key) and Orthanc starts on the result.
set -eu

for name in ORTHANC_ADMIN_PASSWORD ORTHANC_DICOM2FHIR_PASSWORD; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "orthanc-entrypoint: $name is not set: refusing to start Orthanc with an empty password" >&2
    exit 2
  fi
done

config=/etc/orthanc/orthanc.json
override=${ORTHANC_CONFIG_OVERRIDE:-/etc/orthanc/override.json}
if [ -f "$override" ]; then
  merged=$(mktemp /tmp/orthanc-XXXXXX.json)
  jq -s '.[0] * .[1]' "$config" "$override" >"$merged"
  echo "orthanc-entrypoint: $config with the settings of $override: $(jq -c 'keys' "$override")" >&2
  config=$merged
fi
exec Orthanc "$config" "$@"
