"""The caching data loader gives botocore exactly what botocore's own loader gives, and a model
added to the search path is seen at once (the cache is keyed by the folders' mtimes)."""

from __future__ import annotations

import json
import marshal

import botocore.loaders
import botocore.session

from sagemaker_async.request import botocache


def test_same_answers_as_botocore_cold_and_warm(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    plain = botocore.loaders.Loader()
    for _ in range(2):  # first run fills the cache, second reads it
        cached = botocache.CachingLoader()
        assert cached.list_available_services("service-2") == plain.list_available_services(
            "service-2"
        )
        assert cached.load_data("endpoints") == plain.load_data("endpoints")
    assert len(list((tmp_path / "cache" / "sagemaker-async").glob("*.marshal"))) == 1
    assert not list((tmp_path / "cache" / "sagemaker-async").glob("*.tmp"))


def test_the_listing_is_read_back_from_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    botocache.CachingLoader().list_available_services("service-2")
    (written,) = (tmp_path / "cache" / "sagemaker-async").glob("*.marshal")
    written.write_bytes(marshal.dumps(["only-from-the-cache"]))
    assert botocache.CachingLoader().list_available_services("service-2") == ["only-from-the-cache"]


def test_new_model_folder_invalidates_the_listing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    models = tmp_path / "models"
    models.mkdir()
    before = botocache.CachingLoader(extra_search_paths=[str(models)])
    assert "my-private-service" not in before.list_available_services("service-2")
    version = models / "my-private-service" / "2020-01-01"
    version.mkdir(parents=True)
    (version / "service-2.json").write_text(json.dumps({"metadata": {}, "operations": {}}))
    after = botocache.CachingLoader(extra_search_paths=[str(models)])
    assert "my-private-service" in after.list_available_services("service-2")


def test_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    session = botocore.session.Session()
    botocache.install(session)
    client = session.create_client(
        "sagemaker-runtime", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"
    )
    assert client.meta.service_model.service_name == "sagemaker-runtime"
