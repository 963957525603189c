"""The one error a parser raises for a file it refuses whole: it names the file and what is wrong, in one line."""

from __future__ import annotations


class SourceError(Exception):
    """A landing file that cannot be read as its format.

    `file` is the path relative to the landing folder (posix); `reason` says what is wrong. `str(error)` is the
    one-line message `"<file>: <reason>"` that the load records as the file's rejection reason.
    """

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = " ".join(str(reason).split())  # one line, whatever the cause carried
        super().__init__(f"{file}: {self.reason}")

    def __reduce__(self):  # picklable across Dagster's process boundaries
        return (type(self), (self.file, self.reason))
