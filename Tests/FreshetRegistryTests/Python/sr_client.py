"""Drives a Freshet schema registry with confluent-kafka's SchemaRegistryClient (a client no one
here wrote). Usage: python3 sr_client.py http://127.0.0.1:PORT. Prints OK, or fails with the
step that did not hold. Needs: pip install "confluent-kafka[schemaregistry,avro]"."""

import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

STRING_FIELDS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email", "username",
                 "dob", "registered_date", "phone", "picture"]
USER = {
    "type": "record", "name": "UserCreated", "namespace": "freshet",
    "fields": [{"name": n, "type": "string"} for n in STRING_FIELDS]
    + [{"name": "nat", "type": ["null", "string"], "default": None}],
}
# A compatible evolution: an added optional field with a default.
EVOLVED = dict(USER, fields=USER["fields"] + [{"name": "cell", "type": ["null", "string"], "default": None}])
# An incompatible one: a field's type changed.
BROKEN = dict(USER, fields=[{"name": "id", "type": "long"}] + USER["fields"][1:])


def refused(step, expected_status, expected_code, call):
    try:
        call()
    except SchemaRegistryError as error:
        assert error.http_status_code == expected_status, f"{step}: HTTP {error.http_status_code}, expected {expected_status}"
        assert error.error_code == expected_code, f"{step}: error_code {error.error_code}, expected {expected_code}"
        return
    raise AssertionError(f"{step}: accepted, expected {expected_code}")


def main(url):
    client = SchemaRegistryClient({"url": url})
    subject = "users_created-value"
    v1 = Schema(json.dumps(USER), "AVRO")

    id1 = client.register_schema(subject, v1)
    assert client.register_schema(subject, Schema(json.dumps(USER, indent=2), "AVRO")) == id1, "same schema, same id"
    looked = client.lookup_schema(subject, v1)
    assert (looked.schema_id, looked.version, looked.subject) == (id1, 1, subject), f"lookup: {looked}"
    assert json.loads(client.get_schema(id1).schema_str) == USER, "get by id"
    by_version = client.get_version(subject, 1)
    assert (by_version.schema_id, by_version.version) == (id1, 1), f"get version: {by_version}"
    assert json.loads(by_version.schema.schema_str) == USER
    assert client.get_subjects() == [subject]
    assert client.get_versions(subject) == [1]

    v2 = Schema(json.dumps(EVOLVED), "AVRO")
    assert client.test_compatibility(subject, v2) is True, "compatible evolution"
    id2 = client.register_schema(subject, v2)
    assert id2 != id1
    latest = client.get_latest_version(subject)
    assert (latest.schema_id, latest.version) == (id2, 2), f"latest: {latest}"

    broken = Schema(json.dumps(BROKEN), "AVRO")
    assert client.test_compatibility(subject, broken) is False, "incompatible change"
    refused("register an incompatible schema", 409, 409, lambda: client.register_schema(subject, broken))
    refused("register an invalid schema", 422, 42201, lambda: client.register_schema(subject, Schema('{"type":"recrd"}', "AVRO")))
    refused("get an unknown id", 404, 40403, lambda: client.get_schema(id2 + 100))

    refused("hard delete before soft", 404, 40407, lambda: client.delete_version(subject, 1, permanent=True))
    assert client.delete_version(subject, 1) == 1
    assert client.delete_version(subject, 1, permanent=True) == 1
    refused("hard delete of a live subject", 404, 40405, lambda: client.delete_subject(subject, permanent=True))
    assert client.delete_subject(subject) == [2]
    assert client.get_subjects() == []
    assert client.delete_subject(subject, permanent=True) == [2]
    refused("versions of a deleted subject", 404, 40401, lambda: client.get_versions(subject))
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])
