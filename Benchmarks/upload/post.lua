-- wrk script for the upload benchmark: POSTs one prebuilt multipart body (BODY_FILE, boundary BOUNDARY)
-- to UPLOAD_PATH on every request, counts answers whose status is not EXPECT_STATUS, and prints one
-- machine-readable RESULT line at the end. The request is static (no request() function), so wrk builds
-- it once per thread and only writes it out; response() costs the same for every server.

local function readall(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

wrk.method = "POST"
wrk.path = os.getenv("UPLOAD_PATH") or "/api/v1/bulk-parse-resumes"
wrk.body = readall(assert(os.getenv("BODY_FILE"), "BODY_FILE is not set"))
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. assert(os.getenv("BOUNDARY"))

local expected = tonumber(os.getenv("EXPECT_STATUS") or "202")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  good = 0
  bad = 0
  last_bad = 0
end

function response(status, headers, body)
  if status == expected then
    good = good + 1
  else
    bad = bad + 1
    last_bad = status
  end
end

function done(summary, latency, requests)
  local g, b, lb = 0, 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
    if t:get("last_bad") ~= 0 then lb = t:get("last_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d expected=%d good=%d bad=%d last_bad_status=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, expected, g, b, lb,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
