/**
 * The fleet's windows (`judge: 'fleet'`): one script adds a flush's counts into the window of
 * each breaker it names, judges the window, and opens the record of one whose window trips, in
 * one atomic step timed by Redis's TIME, as RECORD_SCRIPT does.
 *
 * KEYS[1] marks the flush as counted (SET NX, for twice its maxAge plus a second), so a replay
 * counts nothing; then, per breaker, the hash of windows its window is a field of (one hash for
 * the whole prefix, or in a cluster one per record, in its slot) and its record's key.
 * ARGV: the key's time to live (ms), the publish command ('' for none), decidedAt and maxAge;
 * then 14 values per breaker: its name (the field), the generation its counts belong to, calls,
 * failures, slow calls, the window's kind ('count' or 'time'), its size or duration, its slices
 * (0 for a count window), failure rate, slow-call rate, minimum calls, the open period and
 * openings a trip starts, and the channel its record's changes are published on (in a cluster,
 * one in the record's own slot: each open reaches the subscribers of that breaker).
 *
 * The field '' of a hash of windows (no breaker is named '') holds the Redis time at which its
 * time to live was last set: it is set again (PEXPIRE) only once half of `keep` has gone, so a
 * flush costs EVALSHA, TIME, SET, HMGET and HSET, and a hash no flush touches for `keep` goes.
 *
 * A window is JSON: {g = generation, b = {{slice, calls, failures, slow}, ...}}. A time window's
 * slices are its own (`duration / buckets` ms of Redis time, at most the policy's `buckets`); a
 * count window's are seconds of Redis time, the oldest dropped while the others hold `size`
 * calls, and the oldest left counted in proportion to the part of it the last `size` calls
 * cover (at most 64 slices: the two oldest merge). A window belongs to one closed period: counts
 * of an older generation are dropped, and a newer generation starts it afresh. When it trips
 * (at least `minimumCalls`, and a rate at or above its threshold), the record opens under the
 * rule of a 'trip': kept unless it is open already, and only against the closed period the
 * window counted (the same generation, or no record at all); the window is then deleted.
 *
 * Reply: Redis's time, a status ('ok', 'late' or 'repeated'), then five elements per breaker:
 * ('counted', 0, 0, 0, 0) when only counted, the record (state, generation, elapsed, open period,
 * openings) when its window tripped or was found to belong to another period, or
 * ('foreign', why, 0, 0, 0).
 */
export const COUNT_SCRIPT = `
local keep, publish = tonumber(ARGV[1]), ARGV[2]
local decidedAt, maxAge = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if decidedAt > 0 and now - decidedAt > maxAge then return {now, 'late'} end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', maxAge * 2 + 1000) then return {now, 'repeated'} end
local H, W, n = 4, 14, (#KEYS - 1) / 2
local out = {now, 'ok'}
local function put(a, b, c, d, e)
  local i = #out
  out[i + 1], out[i + 2], out[i + 3], out[i + 4], out[i + 5] = a, b, c, d, e
end

-- One HMGET per hash of windows (one in all, outside a cluster).
local order, members, stored, unusable, extended = {}, {}, {}, {}, {}
for i = 1, n do
  local ck = KEYS[2 * i]
  if members[ck] == nil then members[ck] = {}; order[#order + 1] = ck end
  table.insert(members[ck], i)
end
for _, ck in ipairs(order) do
  local fields = {}
  for j, i in ipairs(members[ck]) do fields[j] = ARGV[H + (i - 1) * W + 1] end
  fields[#fields + 1] = ''
  local values = redis.pcall('HMGET', ck, unpack(fields))
  if type(values) == 'table' and values.err then unusable[ck] = 'the key ' .. ck .. ' holds a ' .. redis.call('TYPE', ck)['ok']
  else
    for j, i in ipairs(members[ck]) do stored[i] = values[j] end
    extended[ck] = tonumber(values[#fields])
  end
end

local function windowOf(text)
  if not text then return nil end
  local ok, w = pcall(cjson.decode, text)
  if ok and type(w) == 'table' and type(w.g) == 'number' and type(w.b) == 'table' then return w end
  return nil
end

-- Opens the record as a trip would, against the closed period the window counted.
local function trip(rk, period, openings, windowGen, channel)
  local kind = redis.call('TYPE', rk)['ok']
  if kind ~= 'none' and kind ~= 'hash' then return {'foreign', 'the key holds a ' .. kind, 0, 0, 0} end
  local r = redis.call('HMGET', rk, 's', 'g', 'o', 'p', 'n', 'v')
  local version = tonumber(r[6] or '0')
  if version == nil or version > 1 then return {'foreign', 'format version ' .. tostring(r[6]), 0, 0, 0} end
  local state = r[1] or 'none'
  if kind == 'none' then state = 'none'
  elseif state ~= 'open' and state ~= 'closed' then return {'foreign', 'state ' .. tostring(r[1]), 0, 0, 0} end
  local g, o, p, m = tonumber(r[2] or '0'), tonumber(r[3] or '0'), tonumber(r[4] or '0'), tonumber(r[5] or '0')
  if g == nil or o == nil or p == nil or m == nil then return {'foreign', 'a field is not a number', 0, 0, 0} end
  if state == 'open' then return {'open', g, now - math.min(o, now), p, m} end
  if state == 'closed' and g ~= windowGen then return {'closed', g, 0, p, m} end
  -- A record made afresh counts its generations on from now, as RECORD_SCRIPT's do.
  if state == 'none' then g = now end
  g = g + 1
  redis.call('HSET', rk, 'v', 1, 's', 'open', 'g', g, 'o', now, 'p', period, 'n', openings, 'l', '', 'u', 0)
  redis.call('PEXPIRE', rk, period + keep)
  if publish ~= '' then redis.call(publish, channel, g .. ':' .. rk) end
  return {'open', g, 0, period, openings}
end

local writes, deletes = {}, {}
for _, ck in ipairs(order) do writes[ck], deletes[ck] = {}, {} end
for i = 1, n do
  local ck, rk, base = KEYS[2 * i], KEYS[2 * i + 1], H + (i - 1) * W
  local name, gen = ARGV[base + 1], tonumber(ARGV[base + 2])
  local calls, failures, slow = tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5])
  local kind, span, slices = ARGV[base + 6], tonumber(ARGV[base + 7]), tonumber(ARGV[base + 8])
  local failureRate, slowRate, minimum = tonumber(ARGV[base + 9]), tonumber(ARGV[base + 10]), tonumber(ARGV[base + 11])
  local period, openings, channel = tonumber(ARGV[base + 12]), tonumber(ARGV[base + 13]), ARGV[base + 14]
  local record = nil
  if unusable[ck] then
    record = {'foreign', unusable[ck], 0, 0, 0}
  else
    local w = windowOf(stored[i])
    if w == nil or gen > w.g then w = {g = gen, b = {}} end
    -- Counts of a closed period the fleet has left are dropped.
    if gen == w.g then
      local b, index = {}, math.floor(now / 1000)
      if kind == 'time' then index = math.floor(now / (span / slices)) end
      for _, s in ipairs(w.b) do
        if kind ~= 'time' or s[1] > index - slices then b[#b + 1] = s end
      end
      local last = b[#b]
      if last ~= nil and last[1] >= index then last[2], last[3], last[4] = last[2] + calls, last[3] + failures, last[4] + slow
      else b[#b + 1] = {index, calls, failures, slow} end
      local total, fails, slows = 0, 0, 0
      for _, s in ipairs(b) do total, fails, slows = total + s[2], fails + s[3], slows + s[4] end
      if kind ~= 'time' then
        while #b > 1 and total - b[1][2] >= span do
          total, fails, slows = total - b[1][2], fails - b[1][3], slows - b[1][4]
          table.remove(b, 1)
        end
        while #b > 64 do
          b[2][2], b[2][3], b[2][4] = b[2][2] + b[1][2], b[2][3] + b[1][3], b[2][4] + b[1][4]
          table.remove(b, 1)
        end
        if total > span then
          local share = (span - (total - b[1][2])) / b[1][2]
          fails, slows = fails - b[1][3] * (1 - share), slows - b[1][4] * (1 - share)
          total = span
        end
      end
      w.b = b
      if total >= minimum and (fails / total >= failureRate or slows / total >= slowRate) then
        record = trip(rk, period, openings, w.g, channel)
        if record[1] ~= 'foreign' then table.insert(deletes[ck], name) end
      else
        table.insert(writes[ck], name)
        table.insert(writes[ck], cjson.encode(w))
      end
    end
  end
  if record then put(record[1], record[2], record[3], record[4], record[5]) else put('counted', 0, 0, 0, 0) end
end
for _, ck in ipairs(order) do
  if #writes[ck] > 0 then
    -- The hash's time to live is set again once half of it has gone, not at every flush.
    local renew = extended[ck] == nil or now - extended[ck] >= keep / 2 or now < extended[ck]
    if renew then table.insert(writes[ck], ''); table.insert(writes[ck], now) end
    redis.call('HSET', ck, unpack(writes[ck]))
    if renew then redis.call('PEXPIRE', ck, keep) end
  end
  if #deletes[ck] > 0 then redis.call('HDEL', ck, unpack(deletes[ck])) end
end
return out
`;
