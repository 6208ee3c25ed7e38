"""For breakdown.py's regkg-python-results variant only: preloaded by the query workers' fork server
after regkg.service.worker, it makes the workers serialise every result in Python (as before the
engine's own serialisers were used), so that the two can be compared."""

import regkg.service.worker

regkg.service.worker.ENGINE_COUNTED_FORMATS = frozenset()
