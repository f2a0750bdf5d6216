"""Module.load on hostile and malformed .npz files: each is a ValueError naming the file
and the problem, found from the zip directory and the .npy headers before any data is
read (never a MemoryError or a huge allocation), and the module is left untouched."""

import io
import struct
import zipfile
from contextlib import nullcontext

import numpy as np
import pytest

from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Dense, Sequential

HUGE = 10**12  # elements: 8 TB of float64


def model(seed=0, dtype=np.float64):
    return Sequential(Dense(3, 5, rng=seed, dtype=dtype), ReLU(), Dense(5, 2, rng=seed + 1, dtype=dtype))


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape, descr="<f8", version=(1, 0), payload=b"\0" * 40):
    """A .npy header announcing `shape`, followed by only `payload` bytes."""
    buffer = io.BytesIO()
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + payload


def write_zip(path, members):
    """`members`: name -> bytes, written deflated in this order."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def valid_members(seed=0, **replace):
    members = {f"{k}.npy": npy(v) for k, v in model(seed).state_dict().items()}
    members.update({f"{k}.npy": v for k, v in replace.items()})
    return members


def patch_member(path, member, flags=None, method=None):
    """Overwrite the general purpose flags and/or compression method of `member` in both its
    local header and its central directory entry, as a corrupted or crafted file would."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        local = z.getinfo(member).header_offset
    central = data.index(b"PK\x01\x02")
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack("<HHH", data[central + 28 : central + 34])
        if data[central + 46 : central + 46 + name_length].decode() == member:
            break
        central += 46 + name_length + extra_length + comment_length
    else:
        raise AssertionError(f"{member} not in the central directory")
    for offset, flag_at, method_at in [(local, 6, 8), (central, 8, 10)]:
        if flags is not None:
            data[offset + flag_at : offset + flag_at + 2] = struct.pack("<H", flags)
        if method is not None:
            data[offset + method_at : offset + method_at + 2] = struct.pack("<H", method)
    path.write_bytes(bytes(data))


def assert_refused(path, message, target=None):
    target = target or model(10)
    before = target.state_dict()
    with pytest.raises(ValueError, match=message) as error:
        target.load(path)
    assert str(path) in str(error.value)
    for name, value in target.state_dict().items():
        assert np.array_equal(value, before[name]), name


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_a_header_claiming_a_huge_shape_is_refused_unread(tmp_path, version):
    path = write_zip(tmp_path / "huge.npz", valid_members(**{"layers.0.weights": npy_header((HUGE,), version=version)}))
    assert_refused(path, r"layers.0.weights.*shape \(1000000000000,\)")


def test_a_huge_extra_member_is_refused_by_name_without_opening_it(tmp_path, monkeypatch):
    path = write_zip(tmp_path / "extra.npz", valid_members(**{"huge": npy_header((HUGE,))}))
    # a real extra member of 64 MiB too (it deflates to about 64 KiB)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.npy", npy(np.zeros(8 * 2**20)))
    opened = []
    original = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name)) or original(self, name, *a, **k),
    )
    assert_refused(path, r"unexpected \['huge', 'zeros'\]")
    assert opened and "huge.npy" not in opened and "zeros.npy" not in opened


def test_an_encrypted_member_is_refused(tmp_path):
    path = tmp_path / "encrypted.npz"
    model(0).save(path)
    patch_member(path, "layers.0.bias.npy", flags=0x1)
    assert_refused(path, "is not a readable .npz of parameters: member 'layers.0.bias.npy' is encrypted")


@pytest.mark.parametrize("method", [1, 12, 14, 99])
def test_a_flipped_compression_method_is_refused(tmp_path, method):
    path = tmp_path / "method.npz"
    model(0).save(path)
    patch_member(path, "layers.2.weights.npy", method=method)
    assert_refused(path, f"member 'layers.2.weights.npy' uses compression method {method}")


def test_deflated_data_marked_as_stored_is_a_clear_error(tmp_path):
    path = tmp_path / "stored.npz"
    model(0).save(path)
    patch_member(path, "layers.0.weights.npy", method=zipfile.ZIP_STORED)
    assert_refused(path, "is not a readable .npz of parameters")


@pytest.mark.parametrize("shape", [(5, 3), (15,), (1, 3, 5)])
def test_the_right_size_in_the_wrong_shape_is_refused(tmp_path, shape):
    weights = np.arange(15.0).reshape(shape)
    path = write_zip(tmp_path / "shape.npz", valid_members(**{"layers.0.weights": npy(weights)}))
    assert_refused(
        path,
        rf"layers.0.weights: the state has shape \({', '.join(map(str, shape))},?\), "
        r"the parameter \(3, 5\)",
    )


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.complex128, "U3"])
def test_non_float_members_are_refused(tmp_path, dtype):
    path = write_zip(tmp_path / "ints.npz", valid_members(**{"layers.0.bias": npy(np.zeros(5, dtype=dtype))}))
    assert_refused(path, f"layers.0.bias holds {np.dtype(dtype)} values; parameters are floating point")


def test_a_header_whose_data_is_short_or_long_is_refused(tmp_path):
    for payload, name in [(b"\0" * 39, "short"), (b"\0" * 48, "long")]:
        path = write_zip(
            tmp_path / f"{name}.npz", valid_members(**{"layers.0.bias": npy_header((5,), payload=payload)})
        )
        assert_refused(
            path,
            rf"member 'layers.0.bias.npy' holds {len(payload)} bytes of data, "
            r"its header \(float64, shape \(5,\)\) says 40",
        )


@pytest.mark.parametrize(
    "members, message",
    [
        ({"notes.txt": b"hello"}, "member 'notes.txt' is not a .npy array"),
        ({"folder/": b""}, "member 'folder/' is not a .npy array"),
        ({"layers.0.bias.npy": npy(np.zeros(5))}, "member 'layers.0.bias.npy' appears twice"),
    ],
)
def test_odd_members_are_refused(tmp_path, members, message):
    path = write_zip(tmp_path / "odd.npz", valid_members())
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning) if "twice" in message else nullcontext():
        for name, data in members.items():
            z.writestr(name, data)
    assert_refused(path, message)


def test_an_unknown_npy_version_is_refused(tmp_path):
    path = write_zip(tmp_path / "v3.npz", valid_members(**{"layers.0.bias": b"\x93NUMPY\x03\x00" + b"\0" * 60}))
    assert_refused(path, r"\.npy format version 3.0 is not read")


def test_a_bad_value_late_in_the_file_changes_nothing(tmp_path):
    bias = np.zeros(2)
    bias[1] = np.nan
    path = write_zip(tmp_path / "nan.npz", valid_members(**{"layers.2.bias": npy(bias)}))
    assert_refused(path, r"layers.2.bias: the state holds non-finite values")


def test_float64_values_beyond_float32_are_refused_for_a_float32_model(tmp_path):
    path = write_zip(tmp_path / "wide.npz", valid_members(**{"layers.0.bias": npy(np.full(5, 1e300))}))
    assert_refused(
        path,
        r"layers.0.bias: the state holds values up to 1e\+300, which do not fit in .* float32",
        target=model(10, dtype=np.float32),
    )


def test_fortran_order_big_endian_and_float32_files_load_exactly(tmp_path):
    source = model(0).state_dict()
    fortran = np.asfortranarray(source["layers.0.weights"])
    big_endian = source["layers.2.weights"].astype(">f8")
    single = source["layers.0.bias"].astype(np.float32)
    path = write_zip(
        tmp_path / "layouts.npz",
        valid_members(
            **{"layers.0.weights": npy(fortran), "layers.2.weights": npy(big_endian), "layers.0.bias": npy(single)}
        ),
    )
    loaded = model(10).load(path).state_dict()
    assert np.array_equal(loaded["layers.0.weights"], source["layers.0.weights"])
    assert np.array_equal(loaded["layers.2.weights"], source["layers.2.weights"])
    assert np.array_equal(loaded["layers.0.bias"], single.astype(np.float64))
    assert np.array_equal(loaded["layers.2.bias"], source["layers.2.bias"])
