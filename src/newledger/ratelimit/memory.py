"""Fixed-window counts in one worker process's memory.

Written here rather than taken from ``limits.storage.MemoryStorage``, measured on this machine:
its ``incr`` costs 4.4 µs with one key and 18 µs with 50,000 (against 0.8 µs for the token
endpoint's previous limiter), and it re-arms a ``threading.Timer`` every 10 ms that walks every
key, so a flood of random client ids would cost CPU in proportion to the keys held. This is one
dict entry per key and window start, pruned only when the dict is full.

No lock: counters are touched from the event loop. A thread racing another on the same key can
lose one increment, which moves a flood guard by one; the security rules never count here.
"""

from __future__ import annotations

__all__ = ["MemoryCounts"]

MAX_KEYS = 50_000


class MemoryCounts:
    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        # key -> [window start, count]
        self._entries: dict[str, list[int]] = {}

    def add(self, key: str, window_start: int) -> int:
        """Count one attempt in the window starting at ``window_start``; return the count."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != window_start:
            if entry is None and len(self._entries) >= self.max_keys:
                self._prune(window_start)
            entry = self._entries[key] = [window_start, 0]
        entry[1] += 1
        return entry[1]

    def take_back(self, key: str, window_start: int) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == window_start and entry[1] > 0:
            entry[1] -= 1

    def _prune(self, window_start: int) -> None:
        """Drop the keys of past windows, so random keys cannot grow memory without bound."""
        for key in [k for k, e in self._entries.items() if e[0] != window_start]:
            del self._entries[key]
        if len(self._entries) >= self.max_keys:  # all current: a flood of fresh keys
            self._entries.clear()
