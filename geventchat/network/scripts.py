"""Lua run inside Redis: each step that must not be split is one script.

Every script takes the key prefix as ARGV[1] and builds key names from it
(`prefix:kind:name`, as keys.py spells them), so it needs one Redis, not a
Cluster. The shared pieces:

- the fence: a node's writes go through only while `alive:<node>` holds its
  epoch (or, after a Redis restart emptied everything, once it is written
  again). A run declared dead (its epoch in `tomb:<node>`) or superseded by
  another run of its name is refused, so a node that was paused or cut off
  cannot speak for users the network has already let go.
- the entry id: one `<ms>-<n>` counter (`last`) for every stream, taken from
  Redis's clock, so entries of several streams merge back into one order and
  a channel's stream can be read by time.
- the reaping: declaring a node's run dead frees its nicks, deletes its
  directory and appends the DEAD entry in one step, so a nick is free before
  anyone hears that its holder is gone.
"""

from __future__ import annotations

PRELUDE = r"""
if redis.replicate_commands then redis.replicate_commands() end
local P = ARGV[1]
local function k(kind, name)
  if name then return P .. ':' .. kind .. ':' .. name end
  return P .. ':' .. kind
end

local function fence(node, epoch, ttl)
  local holder = redis.call('GET', k('alive', node))
  if holder == epoch then return nil end
  if holder then return 'taken' end
  if redis.call('GET', k('tomb', node)) == epoch then return 'dead' end
  local recorded = redis.call('HGET', k('node', node), 'epoch')
  if recorded and recorded ~= epoch then return 'taken' end
  redis.call('SET', k('alive', node), epoch, 'PX', ttl)
  return nil
end

local ID = {ms = -1, seq = 0, now = 0, dirty = false}
local function split_id(text)
  local dash = string.find(text, '-', 1, true)
  return tonumber(string.sub(text, 1, dash - 1)), tonumber(string.sub(text, dash + 1))
end
local function format_id()
  return string.format('%.0f-%.0f', ID.ms, ID.seq)
end
local function num(x) return string.format('%.0f', x) end
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function next_id()
  if ID.ms < 0 then
    local last = redis.call('GET', k('last'))
    if last then ID.ms, ID.seq = split_id(last) else ID.ms, ID.seq = 0, 0 end
    ID.now = clock_ms()
  end
  if ID.now > ID.ms then ID.ms, ID.seq = ID.now, 0 else ID.seq = ID.seq + 1 end
  ID.dirty = true
  return format_id()
end
local function save_id()
  if ID.dirty then redis.call('SET', k('last'), format_id()) end
end

-- Streams written to in this script, trimmed by age once at its end.
local TOUCHED = {}
local function trim(keep_ms)
  local floor = ID.now - tonumber(keep_ms)
  if floor <= 0 then return end
  for stream in pairs(TOUCHED) do
    redis.pcall('XTRIM', stream, 'MINID', '~', num(floor))  -- Redis 6.2+; before that the cap alone trims
  end
end

-- Append one entry to a stream with the given id; a stream whose top is
-- already past it (its `last` key was lost) moves the counter past its top.
local function append(stream, id, maxlen, o, e, q, m)
  TOUCHED[stream] = true
  local ok = redis.pcall('XADD', stream, 'MAXLEN', '~', maxlen, id, 'o', o, 'e', e, 'q', q, 'm', m)
  if type(ok) == 'table' and ok.err then
    local top = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1][1]
    local ms, seq = split_id(top)
    if ms > ID.ms or (ms == ID.ms and seq > ID.seq) then ID.ms, ID.seq = ms, seq end
    id = next_id()
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, id, 'o', o, 'e', e, 'q', q, 'm', m)
  end
  return id
end

local function free_nicks(node)
  local freed = 0
  local mine = node .. '/'
  for _, folded in ipairs(redis.call('SMEMBERS', k('held', node))) do
    local key = k('nick', folded)
    local owner = redis.call('GET', key)
    if owner and string.sub(owner, 1, #mine) == mine then
      redis.call('DEL', key)
      freed = freed + 1
    end
  end
  redis.call('DEL', k('held', node), k('users', node))
  redis.call('SREM', k('nodes'), node)
  redis.call('HDEL', k('beats'), node)
  return freed
end

local function reap(node, epoch, maxlen)
  redis.call('SET', k('tomb', node), epoch)
  local freed = free_nicks(node)
  redis.call('DEL', k('node', node))
  append(k('ctl'), next_id(), maxlen, '*', '', '0',
         '{"k":"dead","node":"' .. node .. '","e":"' .. epoch .. '"}\n')
  return freed
end
"""

CLAIM_NODE = PRELUDE + r"""
-- ARGV: prefix, node, epoch, ttl ms, info, stream maxlen, epoch of a run known dead ('' for none)
local node, epoch, ttl, info, maxlen, known_dead = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local holder = redis.call('GET', k('alive', node))
if holder and holder ~= epoch and holder ~= known_dead then
  return {'taken', holder, redis.call('HGET', k('node', node), 'info') or ''}
end
local reaped = -1
local old = redis.call('HGET', k('node', node), 'epoch') or holder
if old and old ~= epoch then reaped = reap(node, old, maxlen) end
redis.call('SET', k('alive', node), epoch, 'PX', ttl)
redis.call('HSET', k('node', node), 'epoch', epoch, 'info', info)
redis.call('SADD', k('nodes'), node)
redis.call('HSET', k('beats'), node, num(clock_ms()))
save_id()
return {'ok', tostring(reaped)}
"""
"""Take a node name for a run: refused while another live run holds it; the
leftovers of a previous run (crashed, or the one `known_dead`) are reaped first."""

BEAT = PRELUDE + r"""
-- ARGV: prefix, node, epoch, ttl ms, info, then other node names to report on
local node, epoch, ttl, info = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local status = fence(node, epoch, ttl)
if status then return {status, redis.call('HGET', k('node', node), 'info') or ''} end
redis.call('PEXPIRE', k('alive', node), ttl)
if redis.call('HGET', k('node', node), 'epoch') ~= epoch then
  redis.call('HSET', k('node', node), 'epoch', epoch, 'info', info)
end
redis.call('SADD', k('nodes'), node)
local now = clock_ms()
redis.call('HSET', k('beats'), node, num(now))
local seen = {}
local others = {}
local function report(name)
  if name ~= node and not seen[name] then
    seen[name] = true
    others[#others + 1] = name
    others[#others + 1] = redis.call('EXISTS', k('alive', name))
    others[#others + 1] = redis.call('HGET', k('node', name), 'epoch') or ''
  end
end
for _, name in ipairs(redis.call('SMEMBERS', k('nodes'))) do report(name) end
for i = 6, #ARGV do report(ARGV[i]) end
return {'ok', num(now), redis.call('HGETALL', k('beats')), others}
"""
"""The heartbeat, fenced: keeps `alive` (writing it again after a Redis restart),
and reports every other node's heartbeat time, liveness and epoch."""

REAP = PRELUDE + r"""
-- ARGV: prefix, node, its epoch as the caller knows it, stream maxlen
local node, known, maxlen = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', k('alive', node)) == 1 then return 0 end
local epoch = redis.call('HGET', k('node', node), 'epoch') or known
if epoch == '' or redis.call('GET', k('tomb', node)) == epoch then
  redis.call('SREM', k('nodes'), node)
  return 0
end
reap(node, epoch, maxlen)
save_id()
return 1
"""
"""Declare a node's run dead, once, if its heartbeat has lapsed: 1 if this call did it."""

LEAVE = PRELUDE + r"""
-- ARGV: prefix, node, epoch
local node, epoch = ARGV[2], ARGV[3]
if redis.call('GET', k('alive', node)) ~= epoch then return 0 end
free_nicks(node)
redis.call('DEL', k('node', node), k('alive', node))
return 1
"""
"""A clean stop: free this run's nicks and directory, if the name is still ours."""

CLAIM = PRELUDE + r"""
-- ARGV: prefix, node, epoch, ttl ms, folded nick, uid
local node, epoch, ttl, folded, uid = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local status = fence(node, epoch, ttl)
if status then return {'fenced', status} end
local owner = redis.call('GET', k('nick', folded))
if (not owner) or owner == uid then
  redis.call('SET', k('nick', folded), uid)
  redis.call('SADD', k('held', node), folded)
  return {'ok', uid}
end
return {'held', owner}
"""
"""Claim a nick for one of our uids, fenced: ('ok', uid), ('held', owner) or ('fenced', why)."""

APPEND = PRELUDE + r"""
-- ARGV: prefix, node, epoch, ttl ms, stream maxlen, stream keep ms, item count, then each item:
--   n streams, n x (stream key, sequence number), message, m ops, the ops:
--   'hset' uid record | 'hdel' uid | 'hello' n (uid record) x n | 'free' folded uid
--   | 'cmd' n arg x n (run as given; an argument '$id' becomes the entry's id)
local node, epoch, ttl, maxlen, keep = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local status = fence(node, epoch, ttl)
if status then return {status} end
local users = k('users', node)
local i = 8
for _ = 1, tonumber(ARGV[7]) do
  local streams = tonumber(ARGV[i])
  local message = ARGV[i + 1 + 2 * streams]
  local id = ''
  if streams > 0 then
    id = next_id()
    for s = 0, streams - 1 do
      id = append(ARGV[i + 1 + 2 * s], id, maxlen, node, epoch, ARGV[i + 2 + 2 * s], message)
    end
  end
  i = i + 2 + 2 * streams
  local ops = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, ops do
    local op = ARGV[i]
    if op == 'hset' then
      redis.call('HSET', users, ARGV[i + 1], ARGV[i + 2])
      i = i + 3
    elseif op == 'hdel' then
      redis.call('HDEL', users, ARGV[i + 1])
      i = i + 2
    elseif op == 'hello' then
      local n = tonumber(ARGV[i + 1])
      redis.call('DEL', users)
      for j = 0, n - 1 do redis.call('HSET', users, ARGV[i + 2 + 2 * j], ARGV[i + 3 + 2 * j]) end
      redis.call('HSET', k('node', node), 'synced', id)
      i = i + 2 + 2 * n
    elseif op == 'free' then
      local key = k('nick', ARGV[i + 1])
      local owner = redis.call('GET', key)
      if owner == ARGV[i + 2] then redis.call('DEL', key) end
      if owner == ARGV[i + 2] or not owner or string.sub(owner, 1, #node + 1) ~= node .. '/' then
        redis.call('SREM', k('held', node), ARGV[i + 1])
      end
      i = i + 3
    elseif op == 'cmd' then
      local n = tonumber(ARGV[i + 1])
      local args = {}
      for j = 1, n do
        local a = ARGV[i + 1 + j]
        if a == '$id' then a = id end
        args[j] = a
      end
      redis.call(unpack(args))
      i = i + 2 + n
    else
      return redis.error_reply('unknown op ' .. tostring(op))
    end
  end
end
save_id()
trim(keep)
return {'ok', format_id()}
"""
"""Append a batch of entries, with the directory writes and nick releases that go
with them, in one fenced step: ('ok', last id) or (why refused,)."""

SNAPSHOT = PRELUDE + r"""
-- ARGV: prefix. Returns the last id, then per node: name, epoch, synced id, alive, users (flat)
local out = {redis.call('GET', k('last')) or '0-0'}
for _, name in ipairs(redis.call('SMEMBERS', k('nodes'))) do
  out[#out + 1] = {name, redis.call('HGET', k('node', name), 'epoch') or '',
                   redis.call('HGET', k('node', name), 'synced') or '',
                   redis.call('EXISTS', k('alive', name)), redis.call('HGETALL', k('users', name))}
end
return out
"""
"""The whole directory at one point of the entry order (for joining and for repair)."""

ENTRY_ID = "$id"
"""In a `cmd` op, the argument replaced by the id of the entry it goes with."""
