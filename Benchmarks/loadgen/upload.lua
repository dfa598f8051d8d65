-- wrk script of the closed-loop and open-loop legs: POSTs one multipart/form-data body, built here once per
-- thread from the very file that loadgen replays (PAYLOAD), in the shape loadgen sends: a single part named
-- FIELD ("files") with the file's name and Content-Type application/octet-stream.
--
-- Environment: PAYLOAD (the file), BOUNDARY, FIELD (files), UPLOAD_PATH (/api/v1/bulk-parse-resumes).
--
-- The request is static (no request() function) and there is no response() callback, so wrk only writes the
-- prebuilt request out and counts answers in C: the peer at its cheapest. done() prints one line,
-- "RESULT {json}", that run.sh keeps.

local function readall(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local payload_path = assert(os.getenv("PAYLOAD"), "PAYLOAD is not set")
local boundary = assert(os.getenv("BOUNDARY"), "BOUNDARY is not set")
local field = os.getenv("FIELD") or "files"
local filename = payload_path:match("([^/]+)$")

wrk.method = "POST"
wrk.path = os.getenv("UPLOAD_PATH") or "/api/v1/bulk-parse-resumes"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = table.concat({
  "--", boundary, "\r\n",
  'Content-Disposition: form-data; name="', field, '"; filename="', filename, '"\r\n',
  "Content-Type: application/octet-stream\r\n",
  "\r\n",
  readall(payload_path),
  "\r\n--", boundary, "--\r\n",
})

function done(summary, latency, requests)
  local e = summary.errors
  -- wrk counts an answer >= 400 in errors.status; every other completed request is an accepted upload.
  io.write(string.format(
    'RESULT {"requests":%d,"ok":%d,"duration_s":%.6f,' ..
    '"errors":{"status_4xx_5xx":%d,"kind":{"connect":%d,"read":%d,"write":%d,"timeout":%d}},' ..
    '"body_bytes":%d,"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"p999":%.3f,"max":%.3f,"mean":%.3f}}\n',
    summary.requests, summary.requests - e.status, summary.duration / 1e6,
    e.status, e.connect, e.read, e.write, e.timeout,
    #wrk.body,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency:percentile(99.9) / 1e3, latency.max / 1e3, latency.mean / 1e3))
end
