"""The caching data loader gives botocore exactly what botocore's own loader gives, and a model
added to the search path is seen at once (the cache is keyed by the folders' mtimes)."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import botocore.loaders
import botocore.session
from botocore import xform_name

from sagemaker_async.request import botocache, service_model


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


# -- botocore's xform_name answers, kept so that skeletons and help need no botocore ----------
def _fresh_names(monkeypatch, cache: Path, data_path: Path | None = None) -> dict[str, str]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    if data_path is not None:
        monkeypatch.setenv("AWS_DATA_PATH", str(data_path))
    caches = (service_model._model_file, service_model._load_service_model)
    caches += (service_model._cli_names,)
    for cached in caches:
        cached.cache_clear()
    try:
        return service_model._cli_names(service_model.SERVICE)
    finally:
        for cached in caches:
            cached.cache_clear()


def test_cli_names_are_botocores_and_read_back(tmp_path, monkeypatch):
    names = _fresh_names(monkeypatch, tmp_path / "cache")
    assert names["RequestTTLSeconds"] == xform_name("RequestTTLSeconds", "-")
    assert names["InvokeEndpointAsync"] == "invoke-endpoint-async"
    (written,) = (tmp_path / "cache" / "sagemaker-async").glob("cli-names-*.marshal")
    stored = marshal.loads(written.read_bytes())
    stored["names"]["InvokeEndpointAsync"] = "read-from-the-cache"
    written.write_bytes(marshal.dumps(stored))
    assert _fresh_names(monkeypatch, tmp_path / "cache")["InvokeEndpointAsync"] == (
        "read-from-the-cache"
    )


def test_a_changed_model_file_is_named_again(tmp_path, monkeypatch):
    models = tmp_path / "models"
    version = models / service_model.SERVICE / "2099-01-01"
    version.mkdir(parents=True)
    model = {"operations": {"InvokeEndpointAsync": {}}, "shapes": {}}
    (version / "service-2.json").write_text(json.dumps(model))
    first = _fresh_names(monkeypatch, tmp_path / "cache", models)
    assert set(first) == {"InvokeEndpointAsync"}
    model["operations"]["NewOperationX"] = {}
    (version / "service-2.json").write_text(json.dumps(model) + " " * 10)  # new size
    assert _fresh_names(monkeypatch, tmp_path / "cache", models)["NewOperationX"] == (
        "new-operation-x"
    )
