"""Small media files as WeChat would hand them over: an AMR-NB voice message and a PNG picture."""
from __future__ import annotations

import random
import struct
import zlib


def amr_voice(seconds: float = 1.5, seed: int = 7) -> bytes:
    """An AMR-NB file: the magic line, then 20 ms frames of mode 7 (12.2 kbit/s: a header byte + 31 bytes)."""
    rand = random.Random(seed)
    frames = int(seconds * 50)
    return b"#!AMR\n" + b"".join(bytes([0x3C]) + rand.randbytes(31) for _ in range(frames))


def png_picture(width: int = 48, height: int = 32) -> bytes:
    """A green-and-yellow PNG (a leaf, more or less)."""
    rows = b"".join(b"\x00" + b"".join(bytes((60, 150, 60) if (x // 8 + y // 8) % 2 else (230, 200, 60))
                                       for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
