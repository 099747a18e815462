// The record script of an unreleased earlier build of circuitry, before records had a format version: the
// rolling-deploy test runs it beside today's, as an old process of the fleet would.
/**
 * The one Lua script every shared-state operation runs: each is a single atomic step in Redis,
 * timed by Redis's own clock (TIME), so no read-modify-write race between processes and no
 * process clock in the decision. The record of a breaker is one hash (one key, so it works in
 * Redis Cluster too): s state, g generation, o opened at, p open period, n openings,
 * l lease owner, u lease until. Times are Redis milliseconds; replies carry durations only.
 * Every write renews the key's expiry: the end of the open period or lease, plus ARGV[2] ms.
 */
export const RECORD_SCRIPT_V0 = `
local key, op, keep = KEYS[1], ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local r = redis.call('HMGET', key, 's', 'g', 'o', 'p', 'n', 'l', 'u')
local state = r[1] or 'none'
local gen = tonumber(r[2] or '0')
local openedAt = tonumber(r[3] or '0')
local period = tonumber(r[4] or '0')
local openings = tonumber(r[5] or '0')
local owner = r[6] or ''
local leaseUntil = tonumber(r[7] or '0')
-- A record made afresh (after one expired or was lost) counts its generations on from now, so
-- a generation a process saw before can never come back and make a stale change look current.
if state == 'none' then gen = now end

local function reply(granted, wait)
  local elapsed = 0
  if state == 'open' then elapsed = now - openedAt end
  return {state, gen, elapsed, period, openings, granted or 0, wait or 0}
end
local function save()
  redis.call('HSET', key, 's', state, 'g', gen, 'o', openedAt, 'p', period, 'n', openings, 'l', owner, 'u', leaseUntil)
  local ends = now
  if state == 'open' then ends = math.max(openedAt + period, leaseUntil) end
  redis.call('PEXPIRE', key, math.ceil(math.max(ends - now, 0) + keep))
end

if op == 'read' then return reply() end
if op == 'open' then
  local mode, g, p, elapsed, n = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
  if mode == 'force' or (mode == 'trip' and state ~= 'open') or (mode == 'trial' and state == 'open' and g == gen) then
    if mode == 'trial' then n = math.max(n, openings + 1) end
    state, gen, openedAt, period, openings, owner, leaseUntil = 'open', gen + 1, now - elapsed, p, n, '', 0
    save()
  end
  return reply()
end
if op == 'close' then
  local mode, g = ARGV[3], tonumber(ARGV[4])
  if mode == 'force' or (state == 'open' and g == gen) then
    state, gen, openedAt, period, openings, owner, leaseUntil = 'closed', gen + 1, 0, 0, 0, '', 0
    save()
  end
  return reply()
end
if op == 'trial' then
  local who, lease = ARGV[3], tonumber(ARGV[4])
  if state == 'closed' then return reply(0, 0) end
  if state == 'none' then
    state, gen, openedAt, period, openings = 'open', gen + 1, now - lease, lease, 1
  end
  local left = openedAt + period - now
  if left > 0 then return reply(0, left) end
  if owner ~= '' and owner ~= who and leaseUntil > now then return reply(0, leaseUntil - now) end
  owner, leaseUntil = who, now + lease
  save()
  return reply(1, 0)
end
return redis.error_reply('circuitry: unknown operation ' .. tostring(op))
`;
