-- wrk script: the peer bench's two requests (token, then OCI get-availability with that token),
-- alternating, so `wrk` measures the upstream's ceiling on the flow snapman runs rather than on
-- `/get`. Usage: wrk -t1 -c8 -d5s -s scripts/wrk-flow.lua http://127.0.0.1:18080
local assertion = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIzTVZHOUZBS0VDTElFTlRJRCIsInN1YiI6ImludGVncmF0aW9uQGV4YW1wbGUuY29tIiwiYXVkIjoiaHR0cHM6Ly90ZXN0LnNhbGVzZm9yY2UuY29tIiwiZXhwIjo0MTAyNDQ0ODAwfQ.kVeOrmHwkUyXrCw5A3Ln0NmEsArS_MoGPAT_Hh7n6nI"
local token_body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" .. assertion
local token = nil
local n = 0
local bad = 0

request = function()
  n = n + 1
  if token == nil or n % 2 == 1 then
    return wrk.format("POST", "/services/oauth2/token",
      { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" },
      token_body)
  end
  local i = n % 1000
  local body = string.format('{"skus":["SKU-%05d"],"locations":["WH-%02d"]}', i, i % 7)
  return wrk.format("POST",
    "/inventory/availability/v1/organizations/f_ecom_zzte_053/availability-records/actions/get-availability",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json", ["Accept"] = "application/json" },
    body)
end

response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  local t = string.match(body, '"access_token":"([^"]+)"')
  if t then token = t end
end

done = function(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", bad))
end
