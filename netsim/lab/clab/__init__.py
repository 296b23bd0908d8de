"""containerlab files in and out: reading (with line numbers and the schema check),
planning a lab from a netsim topology, and rendering it into a containerlab file and
per-node FRR and strongSwan configs (thin Jinja2 templates in ``templates/``)."""

from __future__ import annotations
