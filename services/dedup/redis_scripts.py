"""Lua scripts of the Redis backend. Each runs atomically, which is what makes replicas safe.

Keys are built inside ``INDEX`` from the prefix (signature buckets depend on the candidates found),
so the dedup keyspace must live on one Redis node (the deployment runs a single primary with AOF).
"""

from __future__ import annotations

# Index one article: find the owner of its content key and the articles sharing each LSH band
# (a band value keeps its ``band_cap`` most recent articles) in the live epochs, add this article
# to its bands (current epoch), store its signature, and return the candidates, most shared bands
# first, with their signatures. Counts newly indexed articles per epoch (dd:n:{epoch}).
# A key's TTL is set once, when the script creates the key, not on every write: content and band
# buckets carry an empty marker field written with every HSET (HSET returns 2 new fields only for
# a key without it), and the signature and count keys go by what HSET/INCR return.
# ARGV: prefix, n_epochs, epochs (current first)..., index_buckets (content keys and signatures),
#       content_field, content bucket, own (epoch byte .. handle), expire_at, max_candidates,
#       own signature value (group: itself), band_cap, band fields concatenated (6 bytes each),
#       their buckets (decimal, space-separated), own signature bucket
# Returns: {exact_owner or "", owner1, sigvalue1, owner2, sigvalue2, ...}
INDEX = """
local prefix = ARGV[1]
local ne = tonumber(ARGV[2])
local epochs = {}
for i = 1, ne do epochs[i] = ARGV[2 + i] end
local p = 3 + ne
local index_buckets = tonumber(ARGV[p])
local cfield = ARGV[p + 1]
local cbucket = ARGV[p + 2]
local own = ARGV[p + 3]
local expire_at = ARGV[p + 4]
local max_candidates = tonumber(ARGV[p + 5])
local own_signature = ARGV[p + 6]
local band_cap = tonumber(ARGV[p + 7])
local band_blob = ARGV[p + 8]
local band_buckets = ARGV[p + 9]
local own_bucket = ARGV[p + 10]
local BAND = 6
local ENTRY = #own
local MAX_VALUE = band_cap * ENTRY
local own_id = string.sub(own, 2)
local call, byte, sub = redis.call, string.byte, string.sub

-- write a field of a current-epoch content or band bucket (with the marker; a new key gets its TTL)
local function put(key, field, value)
  if call('HSET', key, '', '', field, value) == 2 then call('EXPIREAT', key, expire_at) end
end

local out = {''}
local exact = nil
local ckey = prefix .. 'dd:x:' .. epochs[1] .. ':' .. cbucket
for i = 1, ne do
  exact = call('HGET', i == 1 and ckey or prefix .. 'dd:x:' .. epochs[i] .. ':' .. cbucket, cfield)
  if exact then break end
end
if not exact then
  put(ckey, cfield, own)
elseif sub(exact, 2) ~= own_id then
  out[1] = exact
end

local band_prefix = {}
for e = 1, ne do band_prefix[e] = prefix .. 'dd:b:' .. epochs[e] .. ':' end
local hits, entries, order = {}, {}, {}
local function collect(v)
  local mine = false
  for s = 1, #v, ENTRY do
    local entry = sub(v, s, s + ENTRY - 1)
    local id = sub(entry, 2)
    if id == own_id then
      mine = true
    else
      local n = hits[id]
      if not n then entries[id] = entry; order[#order + 1] = id; n = 0 end
      hits[id] = n + 1
    end
  end
  return mine
end
local i = 1
for b in string.gmatch(band_buckets, '%d+') do
  local field = sub(band_blob, i, i + BAND - 1)
  i = i + BAND
  local key = band_prefix[1] .. b
  local current = call('HGET', key, field)
  local mine = false
  if current then mine = collect(current) else current = '' end
  for e = 2, ne do
    local v = call('HGET', band_prefix[e] .. b, field)
    if v and collect(v) then mine = true end
  end
  if not mine then
    local value = current .. own
    if #value > MAX_VALUE then value = sub(value, -MAX_VALUE) end
    put(key, field, value)
  end
end
table.sort(order, function(a, b) return hits[a] > hits[b] end)
if out[1] ~= '' then
  local id = sub(out[1], 2)
  if not hits[id] then entries[id] = out[1]; table.insert(order, 1, id) end
end
for n = 1, math.min(#order, max_candidates) do
  local id = order[n]
  local entry = entries[id]
  local eb = byte(entry, 1)
  for e = 1, ne do
    if tonumber(epochs[e]) % 256 == eb then
      local a, b, c, d = byte(id, 1, 4)
      local bucket = (((a * 256 + b) * 256 + c) * 256 + d) % index_buckets
      local sig = call('HGET', prefix .. 'dd:s:' .. epochs[e] .. ':' .. bucket, id)
      if sig then
        out[#out + 1] = entry
        out[#out + 1] = sig
      end
      break
    end
  end
end

local own_key = prefix .. 'dd:s:' .. epochs[1] .. ':' .. own_bucket
if call('HSET', own_key, own_id, own_signature) == 1 then
  local count_key = prefix .. 'dd:n:' .. epochs[1]
  if call('INCR', count_key) == 1 then call('EXPIREAT', count_key, expire_at) end
end
call('EXPIREAT', own_key, expire_at, 'NX')
return out
"""

# What story assignment reads first: the replay guard, the group's story, the watchlist version and
# the document frequencies of the article's features.
# KEYS: article map, article event, group map, version, df (hash: stories naming each feature,
#       "#total": stories)
# ARGV: the article's features...
# Returns {1, event or ""} for an article already assigned, else
#         {0, group_story or "", version, df_total, {df of each feature, false when none}}
STORY_VIEW = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {1, redis.call('GET', KEYS[2]) or ''}
end
local group_story = redis.call('GET', KEYS[3]) or ''
local version = redis.call('GET', KEYS[4]) or '0'
local total = redis.call('HGET', KEYS[5], '#total') or '0'
local df = {}
if #ARGV > 0 then df = redis.call('HMGET', KEYS[5], unpack(ARGV)) end
return {0, group_story, version, total, df}
"""

# Candidate stories of an article: the stories posted under any of the given features (the
# inverted index st:f:{wl}:{feature}, scored by the story's last_seen) with last_seen >= since, at
# most ``limit`` per feature, newest first; their digests, and the document frequencies of every
# feature the digests name (the weighted-Jaccard denominator needs them).
# KEYS: digests (hash), df (hash), posting zsets...
# ARGV: since, limit
# Returns {{story id...}, {digest...}, {feature...}, {df...}}
STORY_CANDIDATES = """
local seen, ids = {}, {}
for i = 3, #KEYS do
  local found = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', ARGV[1], 'LIMIT', 0, ARGV[2])
  for _, id in ipairs(found) do
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
end
if #ids == 0 then return {{}, {}, {}, {}} end
local digests = redis.call('HMGET', KEYS[1], unpack(ids))
local named, features = {}, {}
for _, digest in ipairs(digests) do
  if digest then
    for feature, _ in pairs(cjson.decode(digest)['features']) do
      if not named[feature] then named[feature] = true; features[#features + 1] = feature end
    end
  end
end
local df = {}
if #features > 0 then df = redis.call('HMGET', KEYS[2], unpack(features)) end
return {ids, digests, features, df}
"""

# Commit one story update if nothing changed since it was read: a join needs the story's version
# unchanged; a new story needs the watchlist's version (bumped by every story creation) unchanged.
# Also posts the story under the given features (ZADD last_seen: the features new to the story, or
# all of them when last_seen moved) and prunes those postings and the watchlist's digests.
# KEYS: article map, article event, group map, story state, digests, story times, version, df,
#       posting zsets of the features to (re)post...
# ARGV: expected story version ("" = new story), expected watchlist version, story id, state json,
#       digest json, last_seen score, event json, ttl seconds, event ttl seconds, prune-before score,
#       new story ("1"/"0": counts a story in the DF total), entity ids new to the story...
# Returns {"ok"} | {"conflict"} | {"replay", event or ""}
COMMIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'replay', redis.call('GET', KEYS[2]) or ''}
end
if ARGV[1] == '' then
  if (redis.call('GET', KEYS[7]) or '0') ~= ARGV[2] then return {'conflict'} end
  if redis.call('EXISTS', KEYS[4]) == 1 then return {'conflict'} end
else
  -- the digest carries the version and is small; an old story's digest may be pruned: read the state
  local current = redis.call('HGET', KEYS[5], ARGV[3]) or redis.call('GET', KEYS[4])
  if not current or tostring(cjson.decode(current)['version']) ~= ARGV[1] then return {'conflict'} end
end
local ttl = ARGV[8]
local prune = '(' .. ARGV[10]
redis.call('SET', KEYS[4], ARGV[4], 'EX', ttl)
redis.call('HSET', KEYS[5], ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[3])
if ARGV[1] == '' then redis.call('INCR', KEYS[7]) end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ttl)
redis.call('SET', KEYS[2], ARGV[7], 'EX', ARGV[9])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ttl, 'NX')
for i = 12, #ARGV do redis.call('HINCRBY', KEYS[8], ARGV[i], 1) end
if ARGV[11] == '1' then redis.call('HINCRBY', KEYS[8], '#total', 1) end
local old = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', prune)
if #old > 0 then
  redis.call('ZREM', KEYS[6], unpack(old))
  redis.call('HDEL', KEYS[5], unpack(old))
end
for i = 5, 8 do redis.call('EXPIRE', KEYS[i], ttl) end
for i = 9, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[6], ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', prune)
  redis.call('EXPIRE', KEYS[i], ttl)
end
return {'ok'}
"""
