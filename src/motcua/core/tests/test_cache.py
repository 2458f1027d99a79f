from motcua.core.cache import FileCache


def test_file_cache_stays_bounded_without_scanning_on_every_write(tmp_path, monkeypatch):
    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 30, "CULL_FREQUENCY": 2}})
    scans = []
    original = FileCache._list_cache_files
    monkeypatch.setattr(FileCache, "_list_cache_files", lambda self: scans.append(1) or original(self))
    monkeypatch.setattr(FileCache, "CULL_EVERY", 10)
    for i in range(500):
        cache.set(f"k{i}", i)
    assert len(scans) == 50  # one scan per 10 writes, not 500
    assert len(list(tmp_path.glob("*.djcache"))) <= 30 + 10
    assert cache.get("k499") == 499
