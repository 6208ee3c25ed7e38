"""Queries proven fast on the store being served, answered in the service process.

Every query first runs in a worker process, under the time limit (:mod:`.executor`). A store
handle never changes what it holds (a rebuild or an ingest swaps in another handle), so the same
query text with the same options costs the same again on it: one that a worker answered within
``REGKG_IN_PROCESS_MS`` (send to outcome, serialisation included) is then evaluated in the
service process, without the hop to a worker (about 0.2 ms, as much as the engine's own work on
a lookup). A runaway query is not admitted: it has to have finished, quickly, first.

That rests on the cost of a text being the same at each evaluation, which is false for a text
calling RAND, NOW, UUID, STRUUID or BNODE (a branch taken at random: fast on one run, hours on
the next) or SERVICE (another server's speed): such texts are never admitted. And every
evaluation in process is timed: one that overruns the limit drops its text, so the next request
for it goes back to a worker, under the hard time limit.

One :class:`ProvenFast` belongs to one store handle; the service makes a new one when it swaps
stores, so nothing proven on a previous store carries over. Its memory is bounded: at most
``capacity`` query texts of at most ``MAX_QUERY_CHARS`` characters each, least recently used
first out.
"""

from __future__ import annotations

from collections import OrderedDict

from ..sparql_text import tokens

MAX_QUERY_CHARS = 8_192
VOLATILE = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE", "SERVICE"})  # cost may differ run to run
Key = tuple[str, str, str | None]  # query text, result format, base IRI


class ProvenFast:
    """The query texts a worker answered within ``limit_seconds`` on one store."""

    def __init__(self, limit_seconds: float, capacity: int = 4_096) -> None:
        self.limit = limit_seconds
        self.capacity = capacity
        self._keys: OrderedDict[Key, None] = OrderedDict()

    def __contains__(self, key: Key) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        return False

    def __len__(self) -> int:
        return len(self._keys)

    def record(self, key: Key, seconds: float) -> None:
        """Remember ``key`` if it was answered within the limit (by a worker, or in process once
        admitted), else forget it; a long or volatile text is never admitted."""
        if seconds > self.limit:
            self._keys.pop(key, None)
            return
        if key in self._keys:
            self._keys.move_to_end(key)
            return
        if len(key[0]) > MAX_QUERY_CHARS or volatile(key[0]):
            return
        self._keys[key] = None
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)


def volatile(text: str) -> bool:
    """Whether a query calls a function whose result, hence the query's cost, may differ from one
    evaluation to the next (see the module docstring); keywords inside strings and IRIs do not count."""
    upper = text.upper()
    if not any(word in upper for word in VOLATILE):  # the common case, without lexing
        return False
    return any(token.word in VOLATILE for token in tokens(text))
