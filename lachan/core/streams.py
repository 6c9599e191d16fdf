"""Binary stream helpers shared by the file readers (feed, advisory and scanner parsers)."""

import io


class ReplayStream(io.RawIOBase):
    """A binary stream whose first bytes (``head``) were already read to detect its format: serves them
    again, then the rest of ``rest``. ``read(stream, size)`` replaces ``rest.read(size)`` where a reader
    turns low-level errors (damaged gzip…) into its own. Wrap it in ``io.BufferedReader``."""

    def __init__(self, head, rest, read=None):
        self._head = memoryview(head)
        self._rest = rest
        self._read = read

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._read(self._rest, len(buffer)) if self._read else self._rest.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n
