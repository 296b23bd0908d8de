"""Host plumbing of the lab: namespaces, links (veth, TAP with the user-space relay),
process start-up inside namespaces, the state journal and teardown. Thin wrappers over
``ip``, ``tc``, ``nft`` and the system calls Python lacks; no knowledge of scenarios."""

from __future__ import annotations
