"""Streaming HTTP bodies for the embedded node: request bodies (Content-Length or chunked),
chunked responses, and a streaming ``multipart/form-data`` reader.

``http.server`` hands a handler the raw socket file and nothing else; Kubo clients upload
with ``Transfer-Encoding: chunked`` (``requests`` does that for generator bodies, which is
how ipfshttpclient streams files), so the node needs its own decoder. Everything here works
on bounded buffers, so a multi-GiB upload never sits in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesHeaderParser
from typing import BinaryIO, Final

__all__ = ["HttpBodyError", "BodyReader", "ChunkedWriter", "MultipartReader", "Part", "parse_content_type"]

_MAX_LINE: Final = 16 * 1024
_MAX_PART_HEADERS: Final = 64 * 1024


class HttpBodyError(ValueError):
    """The request body is malformed (bad chunk framing, broken multipart...)."""


class BodyReader(io.RawIOBase):
    """A request body as a readable stream, whatever its framing.

    Args:
        stream: the connection's read file.
        length: ``Content-Length`` if the request had one.
        chunked: the request used ``Transfer-Encoding: chunked``.
    """

    def __init__(self, stream: BinaryIO, *, length: int | None, chunked: bool) -> None:
        super().__init__()
        self._stream = stream
        self._chunked = chunked
        self._remaining = length if not chunked else 0
        self._done = (length == 0) if not chunked else False
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        line = self._stream.readline(_MAX_LINE)
        if not line.endswith(b"\n"):
            raise HttpBodyError("chunked body: truncated chunk size line")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpBodyError(f"chunked body: invalid chunk size {size_text[:20]!r}") from None
        if size == 0:
            # Trailer section: header lines until an empty line.
            while True:
                trailer = self._stream.readline(_MAX_LINE)
                if trailer in (b"\r\n", b"\n", b""):
                    break
            self._done = True
        self._remaining = size

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._done:
            return 0
        if self._remaining is None:
            # Neither a length nor chunked: HTTP/1.1 says the body is empty.
            self._done = True
            return 0
        if self._chunked and self._remaining == 0:
            self._next_chunk()
            if self._done:
                return 0
        want = min(len(buffer), self._remaining)
        data = self._stream.read(want)
        if not data:
            raise HttpBodyError("request body ended early (connection closed)")
        n = len(data)
        buffer[:n] = data
        self._remaining -= n
        self.bytes_read += n
        if self._remaining == 0:
            if self._chunked:
                crlf = self._stream.read(2)
                if crlf != b"\r\n":
                    raise HttpBodyError("chunked body: chunk not followed by CRLF")
            else:
                self._done = True
        return n

    def drain(self, limit: int = 1 << 20) -> None:
        """Read and drop what is left (up to ``limit`` bytes) so the connection can be reused."""
        buf = bytearray(65536)
        total = 0
        while total < limit:
            n = self.readinto(buf)
            if not n:
                return
            total += n


class ChunkedWriter:
    """Write an HTTP/1.1 chunked response body; ``close()`` sends the terminating chunk."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.bytes_written = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        n = len(data)
        if n:
            self._out.write(b"%x\r\n" % n)
            self._out.write(data)
            self._out.write(b"\r\n")
            self.bytes_written += n
        return n

    def close(self) -> None:
        self._out.write(b"0\r\n\r\n")
        self._out.flush()


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``multipart/form-data; boundary="x"`` -> ``("multipart/form-data", {"boundary": "x"})``."""
    msg = Message()
    msg["content-type"] = value or "application/octet-stream"
    found = msg.get_params() or []
    params = {k.lower(): v for k, v in found[1:]}
    return msg.get_content_type(), params


class Part:
    """One part of a multipart body; read it to its end before asking for the next part."""

    def __init__(self, reader: MultipartReader, headers: Message) -> None:
        self._reader = reader
        self.headers = headers
        self.done = False

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    @property
    def filename(self) -> str | None:
        """The part's file name (URL-decoded, as ipfshttpclient and Kubo's clients encode it)."""
        from urllib.parse import unquote

        name = self.headers.get_param("filename", header="content-disposition")
        if name is None:
            return None
        if isinstance(name, tuple):  # RFC 2231 encoded
            name = name[2]
        return unquote(str(name))

    def read(self, n: int = -1) -> bytes:
        if self.done:
            return b""
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        data = self._reader._read_part(n)
        if not data:
            self.done = True
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class MultipartReader:
    """Stream the parts of a ``multipart/*`` body (RFC 2046) with a bounded buffer."""

    def __init__(self, stream: io.RawIOBase | BinaryIO, boundary: str, *, bufsize: int = 1 << 20) -> None:
        if not boundary or len(boundary) > 200:
            raise HttpBodyError("multipart body without a valid boundary")
        self._stream = stream
        self._delim = b"\r\n--" + boundary.encode("latin-1")
        self._bufsize = max(bufsize, 4 * len(self._delim))
        # The body starts with "--boundary": pretend a CRLF came before so one delimiter fits all.
        self._buf = bytearray(b"\r\n")
        self._eof = False
        self._current: Part | None = None
        self._finished = False

    def _fill(self, want: int) -> None:
        while not self._eof and len(self._buf) < want:
            data = self._stream.read(max(want - len(self._buf), 65536))
            if not data:
                self._eof = True
                break
            self._buf += data

    def _read_part(self, n: int) -> bytes:
        need = n + len(self._delim) + 2
        self._fill(min(need, self._bufsize + len(self._delim)))
        idx = self._buf.find(self._delim)
        if idx == -1:
            if self._eof:
                raise HttpBodyError("multipart body ended inside a part (missing closing boundary)")
            safe = len(self._buf) - len(self._delim) + 1
            take = min(n, max(safe, 0))
            if take == 0:
                self._fill(len(self._buf) + 65536)
                return self._read_part(n)
        else:
            take = min(n, idx)
        out = bytes(self._buf[:take])
        del self._buf[:take]
        return out

    def __iter__(self) -> Iterator[Part]:
        while True:
            if self._current is not None and not self._current.done:
                while self._current.read(1 << 20):
                    pass
            part = self._next_part()
            if part is None:
                return
            self._current = part
            yield part

    def _next_part(self) -> Part | None:
        if self._finished:
            return None
        # Skip the preamble / the rest of the previous part up to the delimiter.
        while True:
            self._fill(len(self._delim) + 4)
            idx = self._buf.find(self._delim)
            if idx != -1:
                del self._buf[: idx + len(self._delim)]
                break
            if self._eof:
                raise HttpBodyError("multipart body has no boundary line")
            keep = len(self._delim)
            del self._buf[: max(len(self._buf) - keep, 0)]
            self._fill(len(self._buf) + 65536)
        self._fill(2)
        if self._buf[:2] == b"--":
            self._finished = True
            return None
        # Rest of the boundary line (transport padding), then headers up to a blank line.
        self._fill(_MAX_PART_HEADERS)
        end_line = self._buf.find(b"\r\n")
        if end_line == -1:
            raise HttpBodyError("multipart boundary line is not terminated")
        del self._buf[: end_line + 2]
        if self._buf[:2] == b"\r\n":
            raw_headers = b""
            del self._buf[:2]
        else:
            end = self._buf.find(b"\r\n\r\n")
            if end == -1:
                raise HttpBodyError("multipart part headers are too long or not terminated")
            raw_headers = bytes(self._buf[: end + 2])
            del self._buf[: end + 4]
        headers = BytesHeaderParser().parsebytes(raw_headers)
        return Part(self, headers)
