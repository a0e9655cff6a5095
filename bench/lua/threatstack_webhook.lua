-- SPDX-License-Identifier: MIT
-- wrk script for threatstack_s3 webhook ingest: every request POSTs a
-- one-alert webhook with an id of its own (24 lower-case hex digits: thread
-- number + counter), so each one really is spooled (a re-post of a spooled id
-- only refreshes its file). The path comes from the URL given to wrk, e.g.
--   wrk -t2 -c50 -d10s -s bench/lua/threatstack_webhook.lua \
--       http://127.0.0.1:9090/threatstack_s3/api/v1/s3/alert
-- TS_ID_PREFIX (2 hex digits, default "7a") keeps runs apart.

local prefix = os.getenv("TS_ID_PREFIX") or "7a"
local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local counter = 0

function request()
  counter = counter + 1
  local id = string.format("%s%06x%016x", prefix, tid or 0, counter)
  local body = string.format(
    '{"alerts": [{"id": "%s", "created_at": 1484521817000, "title": "bench", ' ..
    '"severity": 1, "source": "Host"}]}', id)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

-- The same summary line as bench.lua, which bench/run's wrk_point reads.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
