-- SPDX-License-Identifier: MIT
-- The one wrk script of bench/run: the request from the environment, and a
-- machine-readable summary line from done().
--
--   BENCH_METHOD      GET (default) or POST
--   BENCH_BODY_FILE   request body (sent with Content-Type: application/json)
--   BENCH_TOKEN_FILE  a JWT: sent as Authorization: Bearer <token>
--
-- wrk loads this file once per thread; setting wrk.method/body/headers at the
-- top level makes every thread send the same pre-formatted request, so no Lua
-- runs per request (request() and response() are not defined on purpose:
-- either would cost wrk CPU that relayd needs on a 2-core machine).

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  wrk.body = slurp(body_file)
  wrk.headers["Content-Type"] = "application/json"
end

local token_file = os.getenv("BENCH_TOKEN_FILE")
if token_file and token_file ~= "" then
  local token = slurp(token_file):gsub("%s+$", "")
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Latencies in microseconds; errors split as wrk counts them ("status" is
-- every answer with a status >= 400).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
