"""The scoring API (docs/API.md): classify texts, presign uploads, report a file's outcome.

Behind an API Gateway HTTP API (:mod:`.http`), dispatched by :mod:`.routes` to one module per
route: :mod:`.classify`, :mod:`.uploads`, :mod:`.files`.
"""
