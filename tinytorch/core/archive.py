"""Parameter archives: a plain `.npz` (a zip of `.npy` members), written and read
without pickle, and read defensively.

A file handed to `Module.load` may come from anywhere, so `NpzReader` trusts
nothing it has not checked: it refuses encrypted members and compression methods
other than stored and deflate from the zip directory alone, reads each member's
`.npy` header (never more than a header's worth of bytes) so that the caller can
compare names, shapes and dtypes with what it expects, and only then reads data,
exactly as many bytes as the checked header announces. Every problem is a
`ValueError` (or one of `READ_ERRORS`, which the caller reports as unreadable);
a huge shape in a header never turns into a huge allocation.

>>> import io, numpy as np
>>> buffer = io.BytesIO()
>>> write_arrays(buffer, {"file": np.arange(3.0)})     # any name, even save()'s keywords
>>> with NpzReader(buffer) as archive:
...     archive.names, archive.header("file", max_elements=3), archive.read("file")
(['file'], ((3,), dtype('float64')), array([0., 1., 2.]))
"""

from __future__ import annotations

import lzma
import math
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

Header = tuple[tuple[int, ...], np.dtype]

# Whatever a malformed zip or .npy makes zipfile, zlib, lzma or numpy raise while
# reading; the caller turns these into one ValueError naming the file.
READ_ERRORS = (
    ValueError,
    EOFError,
    OSError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    KeyError,
    OverflowError,
)

_ENCRYPTED = 0x1 | 0x40  # general purpose flags: traditional and strong encryption
_PATCHED = 0x20  # "compressed patched data": zipfile cannot read it
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
# numpy refuses .npy headers longer than this (read_array_header's max_header_size);
# with the 12 bytes of magic, version and length before it, no valid header is longer
_MAX_HEADER_BYTES = 12 + 10_000
_MAX_ITEMSIZE = 16  # the widest floating-point type (long double)


def write_arrays(file: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` to `file` (a path or a binary file) as a compressed `.npz`.

    The members are written one by one through zipfile, as `np.savez_compressed`
    does inside, rather than passed as its keyword arguments: a parameter named
    `file` or `allow_pickle` would collide with that function's own."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


class NpzReader:
    """An open `.npz` whose zip directory has been checked: `names`, then `header(name)`
    for each member's shape and dtype, then `read(name)` for its array."""

    def __init__(self, file: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(file)
        self._members: dict[str, zipfile.ZipInfo] = {}
        self._headers: dict[str, tuple[Header, bool, int]] = {}
        try:
            for info in self._zip.infolist():
                name = _check_member(info)
                if name in self._members:
                    raise ValueError(f"member {info.filename!r} appears twice")
                self._members[name] = info
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        """The array names (member names without `.npy`), in the archive's order."""
        return list(self._members)

    def header(self, name: str, max_elements: int) -> Header:
        """(shape, dtype) from the member's `.npy` header, reading nothing else.

        `max_elements` is the most elements the caller will accept: a member whose
        zip entry claims more bytes than such an array needs is refused unread."""
        info = self._members[name]
        if info.file_size > _MAX_HEADER_BYTES + max_elements * _MAX_ITEMSIZE:
            raise ValueError(
                f"member {info.filename!r} claims {info.file_size:,} bytes, "
                f"more than an array of {max_elements:,} numbers needs"
            )
        with self._zip.open(info) as member:
            shape, fortran_order, dtype = _read_header(member)
            offset = member.tell()
        if dtype.hasobject:
            raise ValueError(f"member {info.filename!r} holds Python objects, which are not read without pickle")
        if not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ValueError(f"member {info.filename!r} has an invalid shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize
        if info.file_size - offset != nbytes:
            raise ValueError(
                f"member {info.filename!r} holds {info.file_size - offset:,} bytes of data, "
                f"its header ({dtype}, shape {shape}) says {nbytes:,}"
            )
        self._headers[name] = ((shape, dtype), fortran_order, offset)
        return shape, dtype

    def read(self, name: str) -> np.ndarray:
        """The member's array, of the shape and dtype that `header(name)` returned."""
        (shape, dtype), fortran_order, offset = self._headers[name]
        nbytes = math.prod(shape) * dtype.itemsize
        with self._zip.open(self._members[name]) as member:
            if _read_header(member) != (shape, fortran_order, dtype) or member.tell() != offset:
                raise ValueError(f"member {name!r}.npy changed while it was read")
            data = member.read(nbytes)
        if len(data) != nbytes:
            raise ValueError(f"member {name!r}.npy ends after {len(data):,} of {nbytes:,} bytes")
        flat = np.frombuffer(data, dtype=dtype)
        return flat.reshape(shape, order="F" if fortran_order else "C").copy()


def _check_member(info: zipfile.ZipInfo) -> str:
    """The array name of a zip entry that can be read safely, from the zip directory alone."""
    if info.is_dir() or not info.filename.endswith(".npy"):
        raise ValueError(f"member {info.filename!r} is not a .npy array")
    if info.flag_bits & _ENCRYPTED:
        raise ValueError(f"member {info.filename!r} is encrypted")
    if info.flag_bits & _PATCHED:
        raise ValueError(f"member {info.filename!r} holds compressed patched data")
    if info.compress_type not in _METHODS:
        raise ValueError(
            f"member {info.filename!r} uses compression method {info.compress_type}; "
            f"only {' and '.join(_METHODS.values())} are read"
        )
    return info.filename[: -len(".npy")]


def _read_header(member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f".npy format version {version[0]}.{version[1]} is not read (only 1.0 and 2.0)")
