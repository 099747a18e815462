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
 *
 * ARGV[3] and ARGV[4]: the command (`PUBLISH`, `SPUBLISH` in a cluster, or '' for none) and the
 * channel on which an accepted open or close is announced, as `generation:key`.
 */
export const RECORD_SCRIPT = `
local key, op, keep, publish, channel = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
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
-- An accepted open or close is announced in the same atomic step: a hint, not the truth (the
-- subscriber reads the record), so a message lost or forged changes no state.
local function announce()
  if publish ~= '' then redis.call(publish, channel, gen .. ':' .. key) end
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
  local mode, g, p, elapsed, n = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
  local decidedAt, maxAge = tonumber(ARGV[10]), tonumber(ARGV[11])
  if stale(decidedAt, maxAge) then return late() end
  if mode == 'force' or (mode == 'trip' and state ~= 'open') or (mode == 'trial' and state == 'open' and g == gen) then
    if mode == 'trial' then n = math.max(n, openings + 1) end
    local from = now
    if decidedAt ~= nil and decidedAt > 0 then from = math.min(decidedAt, now) end
    state, gen, openedAt, period, openings, owner, leaseUntil = 'open', gen + 1, from - elapsed, p, n, '', 0
    save()
    announce()
  end
  return reply()
end
if op == 'close' then
  local mode, g = ARGV[5], tonumber(ARGV[6])
  if stale(tonumber(ARGV[7]), tonumber(ARGV[8])) then return late() end
  if mode == 'force' or (state == 'open' and g == gen) then
    state, gen, openedAt, period, openings, owner, leaseUntil = 'closed', gen + 1, 0, 0, 0, '', 0
    save()
    announce()
  end
  return reply()
end
if op == 'trial' then
  local who, lease = ARGV[5], tonumber(ARGV[6])
  if stale(tonumber(ARGV[7]), tonumber(ARGV[8])) then return late() end
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

/**
 * Reads many records in one step, for the store's resync: one TIME, then one HMGET per key
 * (TYPE only for a key that is not a hash), so Redis executes about one command per breaker.
 * Read-only: times ahead of the clock are reported brought back to now, not written. The reply
 * is flat: Redis's time, then five elements per key (state, generation, elapsed, open period,
 * openings), or ('foreign', why, 0, 0, 0). A hash holding none of the record's fields reads as
 * no record, as an absent key does (telling them apart would cost a command per breaker); a
 * change to it is still refused by RECORD_SCRIPT, which checks the key's type.
 *
 * Keys come in KEYS, then in ARGV: in a cluster the batch of one node declares the key that routes
 * it and passes the others, of other slots on the same node, as arguments (a script without flags
 * may read any key its node holds; one of a slot that moved fails the batch, which is then read
 * again per slot, all keys declared).
 */
export const READ_MANY_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now}
local function put(a, b, c, d, e)
  local i = #out
  out[i + 1], out[i + 2], out[i + 3], out[i + 4], out[i + 5] = a, b, c, d, e
end
local keys = {}
for _, key in ipairs(KEYS) do keys[#keys + 1] = key end
for _, key in ipairs(ARGV) do keys[#keys + 1] = key end
for _, key in ipairs(keys) do
  local r = redis.pcall('HMGET', key, 's', 'g', 'o', 'p', 'n', 'v', 'l', 'u')
  if type(r) == 'table' and r.err then
    put('foreign', 'the key holds a ' .. redis.call('TYPE', key)['ok'], 0, 0, 0)
  else
    local version = tonumber(r[6] or '0')
    local gen, openedAt, period, openings, leaseUntil = tonumber(r[2] or '0'), tonumber(r[3] or '0'), tonumber(r[4] or '0'), tonumber(r[5] or '0'), tonumber(r[8] or '0')
    local any = false
    for i = 1, 8 do if r[i] then any = true end end
    if version == nil or version > 1 then put('foreign', 'format version ' .. tostring(r[6]), 0, 0, 0)
    elseif not any then put('none', now, 0, 0, 0)
    elseif r[1] ~= 'open' and r[1] ~= 'closed' then put('foreign', 'state ' .. tostring(r[1]), 0, 0, 0)
    elseif gen == nil or openedAt == nil or period == nil or openings == nil or leaseUntil == nil then put('foreign', 'a field is not a number', 0, 0, 0)
    elseif r[1] == 'open' then put('open', gen, now - math.min(openedAt, now), period, openings)
    else put('closed', gen, 0, period, openings) end
  end
end
return out
`;
