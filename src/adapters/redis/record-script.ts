/**
 * The one Lua script every shared-state operation runs: each is a single atomic step in Redis,
 * timed by Redis's own clock (TIME), so no read-modify-write race between processes and no
 * process clock in the decision. The record of a breaker is one hash (one key, so it works in
 * Redis Cluster too): v format version, s state, g generation, o opened at, p open period,
 * n openings, l lease owner, u lease until. Times are Redis milliseconds; replies carry
 * durations, plus Redis's own time for stamping later requests. The script's `period` is the
 * record's `openPeriod`: its field and argument names stay as they are, since renaming a hash
 * field would be a new format version that older processes treat as foreign.
 *
 * Format versions: a record without `v` is version 0 (written before versions existed) and has
 * the same fields as version 1, so both are read and written alike. A record of a later version,
 * a key of another type, or fields that are not numbers are "foreign": replied as such, never
 * written over, and the breaker decides alone. A later format that old processes must not write
 * over has to raise `v`; one they can share must keep these fields and their meaning.
 *
 * Every write renews the key's expiry: the end of the open period or lease, plus ARGV[2] ms.
 * Every change carries when it was decided (Redis ms, 0 unknown) and how long it stays valid: a
 * change delivered later than that (queued through a hang, replayed) changes nothing, and its
 * reply says so with a ninth element, 'late': the process sends it again, stamped anew, if it
 * still holds (a process whose clock stepped back stamps its changes old); a lease request refused
 * so is not granted and waits nothing, and is asked again stamped anew. The reply is otherwise
 * the usual one, so a client that reads only the first eight elements takes it as before.
 */
export const RECORD_SCRIPT = `
local key, op, keep = KEYS[1], ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local kind = redis.call('TYPE', key)['ok']
local function foreign(why)
  return {'foreign', 0, 0, 0, 0, 0, 0, now, why}
end
if kind ~= 'none' and kind ~= 'hash' then return foreign('the key holds a ' .. kind) end
local r = redis.call('HMGET', key, 's', 'g', 'o', 'p', 'n', 'l', 'u', 'v')
local version = tonumber(r[8] or '0')
if version == nil or version > 1 then return foreign('format version ' .. tostring(r[8])) end
local state = r[1] or 'none'
if kind == 'none' then state = 'none'
elseif state ~= 'open' and state ~= 'closed' then return foreign('state ' .. tostring(r[1])) end
local gen = tonumber(r[2] or '0')
local openedAt = tonumber(r[3] or '0')
local period = tonumber(r[4] or '0')
local openings = tonumber(r[5] or '0')
local owner = r[6] or ''
local leaseUntil = tonumber(r[7] or '0')
if gen == nil or openedAt == nil or period == nil or openings == nil or leaseUntil == nil then
  return foreign('a field is not a number')
end
-- A record made afresh (after one expired or was lost) counts its generations on from now, so
-- a generation a process saw before can never come back and make a stale change look current.
if state == 'none' then gen = now end
-- Times ahead of this clock (it stepped back, a replica behind took over, another writer) are
-- brought back to now, so nothing waits longer than the record's own period or lease.
if state == 'open' and (openedAt > now or leaseUntil > now + period) then
  openedAt, leaseUntil = math.min(openedAt, now), math.min(leaseUntil, now + period)
  redis.call('HSET', key, 'o', openedAt, 'u', leaseUntil)
end

local function reply(granted, wait)
  local elapsed = 0
  if state == 'open' then elapsed = now - openedAt end
  return {state, gen, elapsed, period, openings, granted or 0, wait or 0, now}
end
local function save()
  redis.call('HSET', key, 'v', 1, 's', state, 'g', gen, 'o', openedAt, 'p', period, 'n', openings, 'l', owner, 'u', leaseUntil)
  local ends = now
  if state == 'open' then ends = math.max(openedAt + period, leaseUntil) end
  redis.call('PEXPIRE', key, math.ceil(math.max(ends - now, 0) + keep))
end
local function stale(decidedAt, maxAge)
  return decidedAt ~= nil and decidedAt > 0 and maxAge ~= nil and now - decidedAt > maxAge
end
-- Refused as late: the record as it is, marked, so that the refusal is not taken for a change kept.
local function late()
  local r = reply()
  r[9] = 'late'
  return r
end

if op == 'read' then return reply() end
if op == 'open' then
  local mode, g, p, elapsed, n = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
  local decidedAt, maxAge = tonumber(ARGV[8]), tonumber(ARGV[9])
  if stale(decidedAt, maxAge) then return late() end
  if mode == 'force' or (mode == 'trip' and state ~= 'open') or (mode == 'trial' and state == 'open' and g == gen) then
    if mode == 'trial' then n = math.max(n, openings + 1) end
    local from = now
    if decidedAt ~= nil and decidedAt > 0 then from = math.min(decidedAt, now) end
    state, gen, openedAt, period, openings, owner, leaseUntil = 'open', gen + 1, from - elapsed, p, n, '', 0
    save()
  end
  return reply()
end
if op == 'close' then
  local mode, g = ARGV[3], tonumber(ARGV[4])
  if stale(tonumber(ARGV[5]), tonumber(ARGV[6])) then return late() end
  if mode == 'force' or (state == 'open' and g == gen) then
    state, gen, openedAt, period, openings, owner, leaseUntil = 'closed', gen + 1, 0, 0, 0, '', 0
    save()
  end
  return reply()
end
if op == 'trial' then
  local who, lease = ARGV[3], tonumber(ARGV[4])
  if stale(tonumber(ARGV[5]), tonumber(ARGV[6])) then return late() end
  if state == 'closed' then return reply(0, 0) end
  if state == 'none' then
    state, gen, openedAt, period, openings = 'open', gen + 1, now - lease, lease, 1
  end
  local left = openedAt + period - now
  if left > 0 then return reply(0, left) end
  if owner ~= '' and owner ~= who and leaseUntil > now then return reply(0, math.min(leaseUntil - now, lease)) end
  owner, leaseUntil = who, now + lease
  save()
  return reply(1, 0)
end
return redis.error_reply('circuitry: unknown operation ' .. tostring(op))
`;
