-- Accepts a C-STORE only from the calling AE titles listed in DICOM_ALLOWED_AETS.
--
-- Environment (read by the Orthanc process):
--   DICOM_ALLOWED_AETS  comma-separated calling AE titles, e.g. "CT01,MR_ROOM2" (spaces around
--                       each title are ignored, the match is exact); unset or empty = no C-STORE
--                       is accepted from anyone
-- Orthanc 1.10 cannot take a JSON object such as DicomModalities from the environment, hence this
-- filter. Only instances received over DICOM are filtered: uploads through the REST API (which
-- needs an Orthanc account) are not. Every refusal is logged with the calling AE title and the
-- caller's IP address only (no patient data).
--
-- A refused instance is not stored. The filter raises an error rather than returning false:
-- Orthanc 1.10 answers a C-STORE its filter turned down with the status Success, so the sender
-- would believe the image archived; an error in the filter is answered "Refused: Out of
-- Resources" (0xA700), which the sender reports as a failure.

local function parseAllowed(text)
  local allowed = {}
  local count = 0
  if text == nil then
    return allowed, count
  end
  for item in string.gmatch(text, '[^,]+') do
    local aet = string.match(item, '^%s*(.-)%s*$')
    if aet ~= '' then
      allowed[aet] = true
      count = count + 1
    end
  end
  return allowed, count
end

local allowedAets, allowedCount = parseAllowed(os.getenv('DICOM_ALLOWED_AETS'))

if allowedCount == 0 then
  print('dicom2fhir: DICOM_ALLOWED_AETS is unset or empty: every C-STORE will be refused')
else
  local names = {}
  for aet in pairs(allowedAets) do
    table.insert(names, aet)
  end
  table.sort(names)
  print('dicom2fhir: C-STORE accepted from the AE titles ' .. table.concat(names, ', '))
end

function ReceivedInstanceFilter(dicom, origin, info)
  if origin == nil or origin['RequestOrigin'] ~= 'DicomProtocol' then
    return true
  end
  local aet = origin['RemoteAet'] or ''
  if allowedAets[aet] then
    return true
  end
  print('dicom2fhir: refused a C-STORE from AE title "' .. aet .. '" (' .. tostring(origin['RemoteIp']) .. '): not in DICOM_ALLOWED_AETS')
  error('C-STORE refused: calling AE title "' .. aet .. '" is not in DICOM_ALLOWED_AETS')
end
