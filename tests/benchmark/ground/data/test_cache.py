"""Converted once: the cache is reused, resumed after an interruption, renewed where stale."""

import os

import numpy as np
import pytest

from benchmark.ground.data import cache as cache_module
from benchmark.ground.data import cbis_ddsm, load_dataset
from benchmark.ground.data.cache import CACHE_ENV, CASES_CSV, IMPORT_JSON, PARTS_DIR
from benchmark.ground.errors import InputError
from benchmark.ground.formats import scan
from benchmark.ground.store import read_json
from tests.benchmark.ground.data.synthetic import CbisRow, write_cbis

pytest.importorskip("pydicom")


@pytest.fixture
def cbis(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    rows = [CbisRow(f"P_{i:05d}", centre=(40 + 8 * i, 30 + 5 * i), seed=i) for i in range(1, 6)]
    return write_cbis(tmp_path / "CBIS", rows)


def counting(monkeypatch):
    """Count the full images the CBIS-DDSM importer reads."""
    reads = []
    original = cbis_ddsm.read_mammogram
    monkeypatch.setattr(cbis_ddsm, "read_mammogram", lambda p: reads.append(p) or original(p))
    return reads


def test_a_second_load_reads_no_dicom_and_gives_the_same_dataset(cbis, monkeypatch):
    first = scan(cbis)
    record = read_json(first.cache + "/" + IMPORT_JSON)
    assert record["format"] == "cbis-ddsm" and record["importer_version"] == cbis_ddsm.VERSION
    assert record["n_kept"] == 5 and len(record["fingerprint"]) == 16
    assert first.cache.endswith(os.path.join(".massbench-cache", "cbis-ddsm-1"))

    def no_pixels(path):
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(cbis_ddsm, "read_mammogram", no_pixels)
    monkeypatch.setattr(cbis_ddsm, "read_stored", no_pixels)
    again = scan(cbis)
    assert again.dataset.fingerprint == first.dataset.fingerprint
    assert "0 read now, 5 reused" in again.notes[-1]


def test_an_interrupted_conversion_resumes_where_it_stopped(cbis, monkeypatch):
    original = cbis_ddsm.convert_group
    calls = []

    def interrupted(root, cases):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(cases[0].id)
        return original(root, cases)

    monkeypatch.setattr(cbis_ddsm, "convert_group", interrupted)
    with pytest.raises(KeyboardInterrupt):
        scan(cbis)
    folder = cbis / ".massbench-cache" / "cbis-ddsm-1"
    assert not (folder / IMPORT_JSON).exists() and not (folder / CASES_CSV).exists()
    assert len(list((folder / PARTS_DIR).glob("*.json"))) == 3  # each case complete or absent
    monkeypatch.setattr(cbis_ddsm, "convert_group", original)
    reads = counting(monkeypatch)
    resumed = scan(cbis)
    assert len(reads) == 2 and "2 read now, 3 reused" in resumed.notes[-1]
    fresh = scan(write_cbis(cbis.parent / "again", [CbisRow(f"P_{i:05d}", centre=(
        40 + 8 * i, 30 + 5 * i), seed=i) for i in range(1, 6)]))
    assert [c.id for c in resumed.dataset] == [c.id for c in fresh.dataset]
    for a, b in zip(resumed.dataset, fresh.dataset, strict=True):
        assert np.array_equal(a.mask, b.mask)


def test_a_changed_source_file_is_converted_again_alone(cbis, monkeypatch):
    scan(cbis)
    image = next((cbis / "CBIS-DDSM" / "Mass-Training_P_00003_LEFT_CC").rglob("*.dcm"))
    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    reads = counting(monkeypatch)
    again = scan(cbis)
    assert reads == [image] and len(again.dataset) == 5


def test_the_environment_variable_puts_the_cache_elsewhere(cbis, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "caches"))
    found = scan(cbis)
    assert found.cache.startswith(str(tmp_path / "caches"))
    assert not (cbis / ".massbench-cache").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes whatever the mode")
def test_a_read_only_copy_says_how_to_put_the_cache_elsewhere(cbis):
    cbis.chmod(0o555)
    try:
        with pytest.raises(InputError, match=CACHE_ENV):
            scan(cbis)
    finally:
        cbis.chmod(0o755)


def test_a_read_only_copy_is_refused_in_one_line(cbis, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache_module.Path, "mkdir", refuse)
    with pytest.raises(InputError) as info:
        scan(cbis)
    assert CACHE_ENV in str(info.value) and "Permission denied" in str(info.value)


def test_the_cache_manifest_is_a_dataset_of_its_own(cbis):
    found = scan(cbis)
    manifest = load_dataset(os.path.join(found.cache, CASES_CSV))
    assert manifest.ids == found.dataset.ids
    assert [c.patient for c in manifest] == [c.patient for c in found.dataset]
    assert [c.label for c in manifest] == [c.label for c in found.dataset]
    for a, b in zip(manifest, found.dataset, strict=True):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
