"""Error types of netsim.

Every error a user can cause derives from :class:`NetsimError` and carries an exit status
(section 5 of the architecture): input errors exit 2, environment problems exit 3. Input
errors are collected as :class:`ModelError` items (file, line, key, message) and raised
together as one :class:`InputError`, so a user sees every problem of a file at once.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_VIOLATED = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3


class NetsimError(Exception):
    """Base class of the errors netsim reports to users without a traceback."""

    exit_status: int = EXIT_INPUT


@dataclass(frozen=True, slots=True)
class ModelError:
    """One problem in an input file: where it is and what is wrong.

    ``line`` is 1-based; 0 means the problem concerns the file as a whole.
    """

    path: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class InputError(NetsimError):
    """One or more problems in input files; the message lists all of them."""

    exit_status = EXIT_INPUT

    def __init__(self, errors: list[ModelError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.path, e.line, e.key, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


class UsageError(NetsimError):
    """A command-line usage problem (bad flag value, unknown --set key)."""

    exit_status = EXIT_INPUT


class EnvironmentProblem(NetsimError):
    """The machine lacks something netsim needs (root, FRR, strongSwan); exit status 3."""

    exit_status = EXIT_ENVIRONMENT


class LabError(NetsimError):
    """The emulation lab failed to come up or to carry out an action."""

    exit_status = EXIT_ENVIRONMENT
