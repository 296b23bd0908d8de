"""The one name for JSON objects the lab reads before it checks them.

A lab's state file, the host registry's copy of it, the relay's configuration and its
control protocol are JSON objects that netsim itself writes; the code that reads one
checks the keys it uses (and a missing or malformed key is reported as a lab error), so
the values are typed where they are used rather than here.
"""

from __future__ import annotations

from typing import Any, TypeAlias

#: A JSON object as read from a file or a socket, checked by the code that reads it.
JsonDoc: TypeAlias = dict[str, Any]

__all__ = ["JsonDoc"]
