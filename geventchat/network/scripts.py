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
- the reaping: declaring a node's run dead frees its nicks, takes its users
  out of every channel (a channel left empty ceases to exist), deletes its
  directory and appends the DEAD entry in one step, so a nick is free before
  anyone hears that its holder is gone.
- channels: a channel exists while its `cstate` hash has a name. Its
  members, modes, topic, lists and invitations change only inside APPEND,
  with the directory entry that tells every node the same change, so Redis
  and every node's copy apply the same changes in one order; a node's hello
  fills in only what Redis has no value for. The one exception is the
  first joiner's claim (CLAIM_CHANNEL), a check-and-set that must answer at
  once: it makes the channel and marks its creator; the member itself comes
  with the creator's entry.
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

-- Channels. A channel exists while its `cstate` hash has a name; it ceases with its last member
-- (the lobby, `perm`, never does). Its state is written as values (a removal too), never deleted.
local function chan_exists(f)
  return redis.call('HEXISTS', k('cstate', f), 'name') == 1
end

local function chan_drop(f)
  if redis.call('HGET', k('cstate', f), 'perm') then return end
  redis.call('DEL', k('cstate', f), k('cmembers', f), k('cstatus', f), k('clists', f), k('cinvite', f))
  redis.call('SREM', k('channels'), f)
end

local function chan_leave(f, uid)
  redis.call('HDEL', k('cmembers', f), uid)
  redis.call('HDEL', k('cstatus', f), uid)
  redis.call('SREM', k('uchans', uid), f)
  if redis.call('HLEN', k('cmembers', f)) == 0 then chan_drop(f) end
end

local function leave_all(uid, node)
  for _, f in ipairs(redis.call('SMEMBERS', k('uchans', uid))) do chan_leave(f, uid) end
  redis.call('DEL', k('uchans', uid))
  redis.call('SREM', k('cusers', node), uid)
end

-- Made with a new channel's state: a name and a creation time (flags missing: +nt).
local function chan_create(f, name, created, perm)
  redis.call('HSET', k('cstate', f), 'name', name, 'created', created)
  if perm == '1' then redis.call('HSET', k('cstate', f), 'perm', '1') end
  redis.call('SADD', k('channels'), f)
end

local function chan_join(f, uid, status, node, name, created, perm)
  if not chan_exists(f) then chan_create(f, name, created, perm) end
  redis.call('HSET', k('cmembers', f), uid, '1')
  redis.call('HSET', k('cstatus', f), uid, status)
  if redis.call('HGET', k('cinvite', f), uid) == '1' then redis.call('HSET', k('cinvite', f), uid, '') end
  redis.call('SADD', k('uchans', uid), f)
  redis.call('SADD', k('cusers', node), uid)
end

local function free_nicks(node)
  for _, uid in ipairs(redis.call('SMEMBERS', k('cusers', node))) do leave_all(uid, node) end
  redis.call('DEL', k('cusers', node))
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
--   'hset' uid record | 'hdel' uid (out of every channel too) | 'hello' n (uid record) x n
--   | 'free' folded uid | 'cmd' n arg x n (run as given; an argument '$id' becomes the entry's id)
--   | 'cjoin' channel uid status name created perm (made, as new, if it does not exist)
--   | 'cpart' channel uid (a channel left empty ceases)
--   | 'chello' n, per channel: name, state pairs, list pairs, invited uids, (uid status) pairs, each
--     counted first: this node's members become exactly these; the state they last saw fills in
--     only what Redis has no value for (a change made since is kept)
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
      leave_all(ARGV[i + 1], node)
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
    elseif op == 'cjoin' then
      chan_join(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], node, ARGV[i + 4], ARGV[i + 5], ARGV[i + 6])
      i = i + 7
    elseif op == 'cpart' then
      chan_leave(ARGV[i + 1], ARGV[i + 2])
      i = i + 3
    elseif op == 'chello' then
      local listed = {}
      local count = tonumber(ARGV[i + 1])
      i = i + 2
      for _ = 1, count do
        local f = ARGV[i]
        local state, lists, invites = k('cstate', f), k('clists', f), k('cinvite', f)
        local n = tonumber(ARGV[i + 1])
        for j = 0, n - 1 do redis.call('HSETNX', state, ARGV[i + 2 + 2 * j], ARGV[i + 3 + 2 * j]) end
        i = i + 2 + 2 * n
        n = tonumber(ARGV[i])
        for j = 0, n - 1 do redis.call('HSETNX', lists, ARGV[i + 1 + 2 * j], ARGV[i + 2 + 2 * j]) end
        i = i + 1 + 2 * n
        n = tonumber(ARGV[i])
        for j = 1, n do redis.call('HSETNX', invites, ARGV[i + j], '1') end
        i = i + 1 + n
        redis.call('SADD', k('channels'), f)
        n = tonumber(ARGV[i])
        for j = 0, n - 1 do
          local uid = ARGV[i + 1 + 2 * j]
          redis.call('HSET', k('cmembers', f), uid, '1')
          redis.call('HSETNX', k('cstatus', f), uid, ARGV[i + 2 + 2 * j])
          redis.call('SADD', k('uchans', uid), f)
          redis.call('SADD', k('cusers', node), uid)
          listed[f .. ' ' .. uid] = true
        end
        i = i + 1 + 2 * n
      end
      for _, uid in ipairs(redis.call('SMEMBERS', k('cusers', node))) do
        for _, f in ipairs(redis.call('SMEMBERS', k('uchans', uid))) do
          if not listed[f .. ' ' .. uid] then chan_leave(f, uid) end
        end
        if redis.call('SCARD', k('uchans', uid)) == 0 then redis.call('SREM', k('cusers', node), uid) end
      end
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
-- ARGV: prefix. Returns the last id; per node: name, epoch, synced id, alive, users (flat);
-- per channel: name, state, members, statuses, lists, invitations (flat pairs)
local nodes, channels = {}, {}
for _, name in ipairs(redis.call('SMEMBERS', k('nodes'))) do
  nodes[#nodes + 1] = {name, redis.call('HGET', k('node', name), 'epoch') or '',
                       redis.call('HGET', k('node', name), 'synced') or '',
                       redis.call('EXISTS', k('alive', name)), redis.call('HGETALL', k('users', name))}
end
for _, f in ipairs(redis.call('SMEMBERS', k('channels'))) do
  channels[#channels + 1] = {f, redis.call('HGETALL', k('cstate', f)), redis.call('HGETALL', k('cmembers', f)),
                             redis.call('HGETALL', k('cstatus', f)), redis.call('HGETALL', k('clists', f)),
                             redis.call('HGETALL', k('cinvite', f))}
end
return {redis.call('GET', k('last')) or '0-0', nodes, channels}
"""
"""The whole directory, channels too, at one point of the entry order (for joining and for repair)."""

CLAIM_CHANNEL = PRELUDE + r"""
-- ARGV: prefix, node, epoch, ttl ms, folded channel, uid ('' for the lobby), name, created, perm
local node, epoch, ttl, f, uid, name, created = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local status = fence(node, epoch, ttl)
if status then return {'fenced', status} end
if chan_exists(f) then
  return {'exists', redis.call('HGETALL', k('cstate', f)), redis.call('HGETALL', k('cmembers', f)),
          redis.call('HGETALL', k('cstatus', f)), redis.call('HGETALL', k('clists', f)),
          redis.call('HGETALL', k('cinvite', f))}
end
redis.call('DEL', k('cstate', f), k('cstatus', f), k('clists', f), k('cinvite', f))  -- a late change to one gone
chan_create(f, name, created, ARGV[9])
if uid ~= '' then
  redis.call('SADD', k('uchans', uid), f)
  redis.call('SADD', k('cusers', node), uid)
end
return {'created'}
"""
"""The first joiner's check-and-set, fenced: ('created',) makes the channel, whose operator the joiner
is (its membership follows in its node's entry); ('exists', state, members, statuses, lists, invitations)
says what the channel is now; ('fenced', why). With no uid and perm 1 it makes the lobby, once for the network,
so every node shows the same creation time for it."""

ENTRY_ID = "$id"
"""In a `cmd` op, the argument replaced by the id of the entry it goes with."""
