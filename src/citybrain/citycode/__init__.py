"""citycode (一码通城): one signed city code for venues, checkpoints, hospitals and transit.

Residents carry a short-lived personal code (a CBOR Web Token in a COSE_Sign1 envelope,
zlib, Base45, QR); checkpoints verify it offline against a signed trust list; venues of
four kinds (交通卡口, 居民小区, 单位, 公共场所) prove presence; the health authority runs
status rules in emergencies, traces contacts for a named case, and scans are deleted
when their purpose ends. Called by the resident app, checkpoint devices, hospitals'
and transit gates' API keys, and the health authority's console.
"""
