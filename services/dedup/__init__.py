"""wirewatch dedup service: near-duplicate wire copy and same-event stories.

Modules: ``fingerprint`` (boilerplate stripping, character-shingle MinHash, LSH bands),
``matching`` (same-event score), ``developments`` (merging members, what changed), ``story``
(state and digest), ``engine`` (the logic, storage-agnostic), ``store`` (interface + in-memory
backend), ``redis_backend``/``redis_scripts`` (the service's backend, Lua for atomicity),
``handler``/``settings``/``metrics``/``__main__`` (the Kafka service), ``clustering``/``cli``
(``wirewatch cluster``).
"""
