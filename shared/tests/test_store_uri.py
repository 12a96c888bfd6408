"""The store client follows its URI: retryWrites and the other driver settings a MongoDB URI
names are the URI's, never overridden by the kit (issue 19, item 7); the local default URI
says retryWrites=false because FerretDB has none, and writes through it work."""

from __future__ import annotations

from parkgrid.metrics import STORE_COMMANDS
from parkgrid.settings import KitSettings
from parkgrid.store import Database, connect


def test_retry_writes_is_the_uris() -> None:
    assert connect("mongodb://db.example.internal:27017/?retryWrites=true").options.retry_writes is True
    assert connect("mongodb://db.example.internal:27017/?retryWrites=false").options.retry_writes is False
    # Unsaid: the driver's default (retryable writes on), as a production MongoDB wants.
    assert connect("mongodb://db.example.internal:27017/").options.retry_writes is True


def test_driver_settings_named_by_the_uri_win_over_the_kits_defaults() -> None:
    uri = "mongodb://a.example.internal:27017,b.example.internal:27017/?replicaSet=rs0&appName=ops&serverSelectionTimeoutMS=1234&connectTimeoutMS=2345&socketTimeoutMS=3456&w=majority"
    options = connect(uri, app_name="bookings", timeout_ms=9_000, socket_timeout_ms=9_000).options
    assert options.pool_options.metadata["application"]["name"] == "ops"
    assert options.server_selection_timeout == 1.234
    assert options.pool_options.connect_timeout == 2.345
    assert options.pool_options.socket_timeout == 3.456
    assert options.write_concern.document == {"w": "majority"}
    assert options.replica_set_name == "rs0"


def test_the_kits_defaults_fill_what_the_uri_leaves_out() -> None:
    options = connect("mongodb://db.example.internal:27017/", app_name="bookings", timeout_ms=1_500).options
    assert options.pool_options.metadata["application"]["name"] == "bookings"
    assert options.server_selection_timeout == 1.5
    assert options.pool_options.connect_timeout == 1.5


def test_the_local_default_uri_says_ferretdb_has_no_retryable_writes() -> None:
    default = KitSettings.model_fields["mongodb_uri"].default
    assert "retryWrites=false" in default
    assert connect(default).options.retry_writes is False


async def test_writes_go_through_with_the_test_stores_uri(mongodb_uri: str, database: Database) -> None:
    assert "retryWrites=false" in mongodb_uri
    client = connect(mongodb_uri)
    try:
        collection = client[database.name]["uri_check"]
        await collection.insert_one({"_id": "one"})
        await collection.update_one({"_id": "one"}, {"$set": {"seen": True}})
        assert await collection.find_one({"_id": "one"}) == {"_id": "one", "seen": True}
    finally:
        await client.close()


def commands(name: str) -> float:
    count: float = STORE_COMMANDS.labels(name)._value.get()
    return count


async def test_a_counted_client_counts_each_command_it_sends_and_a_probe_none(
    mongodb_uri: str, database: Database
) -> None:
    """`parkgrid_store_commands_total` is what the bench reads to give a request's round trips."""
    working, probe = connect(mongodb_uri), connect(mongodb_uri, counted=False)
    try:
        before = {name: commands(name) for name in ("insert", "update", "find")}
        collection = working[database.name]["counted"]
        await collection.insert_one({"_id": "one"})
        await collection.update_one({"_id": "one"}, {"$set": {"seen": True}})
        await collection.update_one({"_id": "one"}, {"$set": {"seen": False}})
        await probe[database.name]["counted"].find_one({"_id": "one"})
        assert {name: commands(name) - before[name] for name in before} == {"insert": 1, "update": 2, "find": 0}
        await collection.find_one({"_id": "one"})
        assert commands("find") - before["find"] == 1
    finally:
        await working.close()
        await probe.close()
