"""The Lua scripts of :class:`~mock_server.state.redis_store.RedisStore`: each one Redis
step, atomic (registered once, then called by ``EVALSHA``)."""

from __future__ import annotations

from .store import OTHER_KEYS

__all__ = ["BILL", "INCR_TTL", "RESET", "SETTLE", "TAKE_ALL", "TAKE_IF_BELOW", "WINDOW_HIT"]

# KEYS[1] counter; ARGV[1] amount, ARGV[2] time to live in ms (set when the counter is new).
INCR_TTL = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""
# KEYS[1] counter; ARGV[1] limit. 1 = taken, 0 = the limit is reached (nothing changes).
TAKE_IF_BELOW = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
"""
# KEYS[1] the window's bucket; ARGV[1] limit, ARGV[2] ms to keep the bucket.
WINDOW_HIT = """
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if value <= tonumber(ARGV[1]) then return 1 end
return 0
"""
# A bill, bounded: KEYS[2] billable, [3] by_key, [4] by_code; ARGV[1] fingerprint, [2] code,
# [3] how many fingerprints by_key counts one by one (the rest go to the OTHER_KEYS bucket).
BILL_BODY = """
local fp = ARGV[1]
if redis.call('HEXISTS', KEYS[3], fp) == 0 then
  local held = redis.call('HLEN', KEYS[3]) - redis.call('HEXISTS', KEYS[3], 'OTHER')
  if held >= tonumber(ARGV[3]) then fp = 'OTHER' end
end
redis.call('INCR', KEYS[2])
redis.call('HINCRBY', KEYS[3], fp, 1)
redis.call('HINCRBY', KEYS[4], ARGV[2], 1)
""".replace("OTHER", OTHER_KEYS)
BILL = "local function bill()" + BILL_BODY + "end\nbill()\nreturn 1"
# One request: KEYS[1] the namespace marker, [2..4] the ledger, [5] the journal, [6] the
# quota counter (or any key, unused); ARGV[1..3] the bill ('' for none), [4] the journal
# size, [5] the entry, [6] the quota limit ('' for none), [7] the entry when refused.
# Returns 1 (quota taken or none), 0 (refused), -1 (the marker is gone: state lost).
SETTLE = (
    "local function bill()"
    + BILL_BODY
    + """end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[6] ~= '' then
  local value = tonumber(redis.call('GET', KEYS[6]) or '0')
  if value >= tonumber(ARGV[6]) then
    redis.call('XADD', KEYS[5], 'MAXLEN', ARGV[4], '*', 'e', ARGV[7])
    return 0
  end
  redis.call('INCR', KEYS[6])
end
if ARGV[1] ~= '' then bill() end
redis.call('XADD', KEYS[5], 'MAXLEN', ARGV[4], '*', 'e', ARGV[5])
return 1
"""
)
# KEYS[1] the namespace marker, [2..] the counters; ARGV[1] ms to keep a new counter,
# [2..] the limits. 0 = every counter taken one unit, i (1-based) = counter i is at its
# limit (nothing changed), -1 = the marker is gone (state lost).
TAKE_ALL = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
for i = 2, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then return i - 1 end
end
for i = 2, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 and ARGV[1] ~= '' then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
  end
end
return 0
"""
# ARGV[1] the namespace's glob, ARGV[2], [5], [6] the prefixes of keys to keep, ARGV[3] the
# marker, [4] its value. Scripts run atomically, so no request sees a half-reset state.
# Returns how many keys were deleted.
RESET = """
local cursor, deleted = '0', 0
local function kept(key)
  for _, i in ipairs({2, 5, 6}) do
    if string.sub(key, 1, string.len(ARGV[i])) == ARGV[i] then return true end
  end
  return key == ARGV[3]
end
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if not kept(key) then
      redis.call('DEL', key)
      deleted = deleted + 1
    end
  end
until cursor == '0'
redis.call('SET', ARGV[3], ARGV[4])
return deleted
"""
