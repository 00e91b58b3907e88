-- Notifies the dicom2fhir bridge when Orthanc has a study to convert or to remove.
--
-- Environment (read by the Orthanc process):
--   DICOM2FHIR_URL             base URL of the bridge, e.g. http://dicom2fhir:8080; unset = no posts
--   DICOM2FHIR_WEBHOOK_SECRET  shared secret, sent as "Authorization: Bearer <secret>"
-- A post waits at most Orthanc's global "HttpTimeout" (seconds, orthanc.json), so a hung
-- bridge holds Orthanc's Lua thread no longer than that; keep it short (orthanc.json: 10).
--
-- Posts (JSON):
--   OnStableStudy  -> POST {DICOM2FHIR_URL}/orthanc/stable-study  {"ID": <Orthanc id>, "StudyInstanceUID": <uid>}
--   OnDeletedStudy -> POST {DICOM2FHIR_URL}/orthanc/deleted-study {"ID": <Orthanc id>}
-- OnDeletedStudy exists since Orthanc 1.6.0. When it runs the study is already gone from the
-- index, so only the Orthanc id is known; the bridge maps it back to the Study Instance UID.
-- Every post runs under pcall: a bridge that is down or slow never breaks Orthanc, the failure
-- is logged with the Orthanc id only (no patient data), and the bridge's change-feed follower
-- and scheduled reconciliation catch up on whatever was missed.

local function bridgeUrl()
  local url = os.getenv('DICOM2FHIR_URL')
  if url == nil or url == '' then
    return nil
  end
  return (string.gsub(url, '/+$', ''))
end

local function headers()
  local h = { ['Content-Type'] = 'application/json' }
  local secret = os.getenv('DICOM2FHIR_WEBHOOK_SECRET')
  if secret ~= nil and secret ~= '' then
    h['Authorization'] = 'Bearer ' .. secret
  end
  return h
end

local function notify(path, body, orthancId)
  local base = bridgeUrl()
  if base == nil then
    return
  end
  local ok, answer = pcall(HttpPost, base .. path, DumpJson(body, true), headers())
  if not ok then
    print('dicom2fhir: POST ' .. path .. ' failed for Orthanc study ' .. orthancId .. ': ' .. tostring(answer))
  elseif answer == nil then
    print('dicom2fhir: POST ' .. path .. ' failed for Orthanc study ' .. orthancId .. ' (no answer or HTTP error)')
  end
end

function OnStableStudy(studyId, tags, metadata)
  notify('/orthanc/stable-study', { ID = studyId, StudyInstanceUID = tags['StudyInstanceUID'] }, studyId)
end

function OnDeletedStudy(studyId)
  notify('/orthanc/deleted-study', { ID = studyId }, studyId)
end
