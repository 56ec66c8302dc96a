"""Who works in a run of the shared frontier: a roll of workers kept in Redis.

``<keys>:workers`` is a sorted set of worker ids scored by their last heartbeat (Redis's own
clock, so machines' clocks need not agree); ``<keys>:idle`` the set of those whose own work
is done. Each step is one Lua script, so two workers starting or ending at the same moment
cannot both take themselves for the first or the last.
"""

from __future__ import annotations

from typing import Any, Final

# Every script first drops the workers not heard from in ARGV[2] seconds.
_PRUNE: Final = """
local now = tonumber(redis.call('TIME')[1])
local before = now - tonumber(ARGV[2])
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before)) do
  redis.call('SREM', KEYS[2], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', before)
"""

# KEYS: workers, idle, queue, seen. Returns how many others are in the run; with none, the
# last run's queue and filter are cleared first: this worker starts a new run.
_JOIN: Final = (
    _PRUNE
    + """
local others = redis.call('ZCARD', KEYS[1])
if others == 0 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return others
"""
)

# KEYS: workers, idle, queue, seen. Returns how many stay; the last one clears the run.
_LEAVE: Final = (
    _PRUNE
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) end
return left
"""
)

# KEYS: workers, idle. ARGV[3]: 1 idle, 0 busy.
_BEAT: Final = (
    _PRUNE
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[1])
else redis.call('SREM', KEYS[2], ARGV[1]) end
return 0
"""
)

# KEYS: workers, idle. Marks this worker idle; returns how many others are still busy.
_BUSY_OTHERS: Final = (
    _PRUNE
    + """
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
local busy = 0
for _, worker in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('SISMEMBER', KEYS[2], worker) == 0 then busy = busy + 1 end
end
return busy
"""
)


class WorkerRoll:
    """This worker's entries on the roll of ``keys`` (``<frontier name>:<spider>``)."""

    def __init__(self, client: Any, keys: str, worker: str, stale_s: int) -> None:
        self.worker = worker
        self.stale_s = stale_s
        self.workers_key = f"{keys}:workers"
        self.idle_key = f"{keys}:idle"
        self._join = client.register_script(_JOIN)
        self._leave = client.register_script(_LEAVE)
        self._beat = client.register_script(_BEAT)
        self._busy_others = client.register_script(_BUSY_OTHERS)

    def _run(self, script: Any, *extra_keys: str, flag: str = "0") -> int:
        keys = [self.workers_key, self.idle_key, *extra_keys]
        return int(script(keys=keys, args=[self.worker, self.stale_s, flag]))

    def join(self, queue_key: str, seen_key: str) -> int:
        return self._run(self._join, queue_key, seen_key)

    def leave(self, queue_key: str, seen_key: str) -> int:
        return self._run(self._leave, queue_key, seen_key)

    def beat(self, *, idle: bool) -> None:
        self._run(self._beat, flag="1" if idle else "0")

    def busy_others(self) -> int:
        return self._run(self._busy_others)
