"""Lua run inside Redis: each check-and-set is one atomic step, so two nodes
racing for a nick cannot both win and a release never frees someone else's nick."""

from __future__ import annotations

CLAIM = """
local owner = redis.call('GET', KEYS[1])
if (not owner) or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
  return 1
end
return owner
"""
"""KEYS: nick, our held set; ARGV: uid, folded nick. 1 if ours now, else the owner's uid."""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""
"""KEYS: nick, our held set; ARGV: uid, folded nick."""

TAKE_OVER = """
local owner = redis.call('GET', KEYS[1])
if (not owner) or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[3])
  return 1
end
return 0
"""
"""KEYS: nick, our held set; ARGV: expected owner, uid, folded nick (re-claim won on signon)."""

REAP = """
local freed = 0
for _, folded in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. folded
  local owner = redis.call('GET', key)
  if owner and string.sub(owner, 1, #ARGV[2]) == ARGV[2] then
    redis.call('DEL', key)
    freed = freed + 1
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[3])
return freed
"""
"""KEYS: dead node's held set, its users hash, the nodes set;
ARGV: nick key prefix, the dead node's uid prefix, its name. Frees only nicks still its own."""
