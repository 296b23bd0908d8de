"""Orchestration of a live lab: deploy, the :class:`~netsim.lab.live.lab.Lab` context
manager, faults, status, probes, and playing a scenario in real time into a Trace."""

from __future__ import annotations
