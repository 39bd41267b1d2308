"""What DynamoDB bills each request by, recorded on moto's side (scripts/moto_server.py --capacity-log).

The recorder sees a DynamoDB request (JSON body, `X-Amz-Target: DynamoDB_20120810.<Op>`) before moto
runs it, reads the image of every item it touches from moto's backend in-process, lets moto run it,
reads the images again, and records facts only: sizes, index entries, outcomes. The billing rules
(units per KB, transactions doubled, index writes) are applied by the capacity model in Rust
(benchmarks/src/bin/capacity/billing.rs), where they are unit-tested.

One write record per touched item:
    {"kind": "write", "op": "PutItem" | "UpdateItem" | "DeleteItem" | "ConditionCheck",
     "request": "<the API operation>", "transactional": bool,
     "outcome": "ok" | "condition_failed" | "cancelled" | "error",
     "table": str, "pk": str, "before": size | null, "after": size | null,
     "indexes": [{"index": str, "before_pk": str | null, "after_pk": str | null,
                  "before_size": size | null, "after_size": size | null,
                  "key_changed": bool, "changed": bool}]}
One read record per item collection read:
    {"kind": "read", "op": "GetItem" | "Query" | "Scan", "request": str, "transactional": bool,
     "consistent": bool, "outcome": str, "table": str, "index": str | null, "pk": str | null,
     "sizes": [size, ...]}
`sizes` are the items read (for an index, their projected entries); a Query's are the items its key
condition matched, before any filter (a filtered Query also reports "filtered": n, the items the
filter removed, which a response no longer shows and so are not sized).

Sizes follow the AWS Developer Guide, "DynamoDB item sizes and formats"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
attribute name bytes (UTF-8) plus: a string its UTF-8 bytes, a number 1 byte per two significant
digits plus 1, a binary its raw bytes, a Boolean or null 1, a list or map 3 bytes plus 1 byte per
element (and a map element its name), a set the sum of its members. An index entry's size is that
of the attributes the index projects (ALL, KEYS_ONLY: the table and index keys, INCLUDE: those and
NonKeyAttributes).
"""

import base64
import copy
import io
import json
import re
import threading

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")
_EQUALS = re.compile(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)")


def value_size(value):
    """The size of one attribute value in DynamoDB's JSON form, e.g. {"S": "abc"} -> 3."""
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return len(base64.b64decode(data)) if isinstance(data, str) else len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in data)
    if kind == "NS":
        return sum(number_size(v) for v in data)
    if kind == "BS":
        return sum(len(base64.b64decode(v)) if isinstance(v, str) else len(v) for v in data)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def number_size(text):
    """1 byte per two significant digits (leading and trailing zeroes trimmed), plus 1."""
    digits = re.sub(r"[^0-9]", "", str(text).lower().split("e")[0]).strip("0")
    return (len(digits) + 1) // 2 + 1


def item_size(attributes):
    """The size of an item (a dict of attribute name -> DynamoDB JSON value)."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in attributes.items())


def scalar(value):
    """A key attribute's value as text (S, N or base64 of B)."""
    (kind, data), = value.items()
    if kind == "B" and not isinstance(data, str):
        return base64.b64encode(data).decode()
    return str(data)


class Index:
    """A GSI of a moto table: its key attributes and what it projects."""

    def __init__(self, table, gsi):
        self.name = gsi.name
        self.hash = next(k["AttributeName"] for k in gsi.schema if k["KeyType"] == "HASH")
        self.range = next((k["AttributeName"] for k in gsi.schema if k["KeyType"] == "RANGE"), None)
        projection = gsi.projection or {}
        self.kind = projection.get("ProjectionType", "ALL")
        keys = [a for a in (table.hash_key_attr, table.range_key_attr, self.hash, self.range) if a]
        self.projected = None if self.kind == "ALL" else set(keys) | set(
            projection.get("NonKeyAttributes", []) if self.kind == "INCLUDE" else []
        )

    def key(self, entry):
        """The index key (partition and sort values) of an entry."""
        if entry is None:
            return None
        return tuple(scalar(entry[a]) for a in (self.hash, self.range) if a)

    def entry(self, image):
        """The index entry of an item image (None when the item is not in the index)."""
        if image is None or self.hash not in image or (self.range and self.range not in image):
            return None
        if self.projected is None:
            return image
        return {k: v for k, v in image.items() if k in self.projected}


class CapacityRecorder:
    """Records every DynamoDB request's billing facts; `take` hands them over and clears them."""

    def __init__(self):
        self._records = []
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            records, self._records = self._records, []
        return records

    def serve(self, app, environ, start_response):
        """Runs `app` on the request (the caller holds the DynamoDB lock) and records it."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        operation = environ.get("HTTP_X_AMZ_TARGET", "").split(".", 1)[-1]
        try:
            request = json.loads(body or b"{}")
            backend = self._backend(environ)
            before = self._before(backend, operation, request)
        except Exception as error:  # never let the recorder change what moto answers
            request, backend, before = None, None, None
            self._note_error(operation, error)
        status = []

        def capture(status_line, headers, exc_info=None):
            status.append(status_line)
            return start_response(status_line, headers, exc_info)

        response_body = b"".join(app(environ, capture))
        if backend is not None:
            try:
                response = json.loads(response_body or b"{}")
                ok = bool(status) and status[0].startswith("2")
                records = self._after(backend, operation, request, before, ok, response)
                with self._lock:
                    self._records.extend(records)
            except Exception as error:
                self._note_error(operation, error)
        return [response_body]

    def _note_error(self, operation, error):
        with self._lock:
            self._records.append({"kind": "error", "request": operation, "message": repr(error)})

    @staticmethod
    def _backend(environ):
        match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else "us-east-1"
        return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]

    # Writes: what each touched item looked like before.

    def _writes(self, backend, operation, request):
        """(op, table, key-or-item, transactional) for every item a write request touches."""
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            key = request.get("Item") if operation == "PutItem" else request.get("Key")
            return [(operation, request["TableName"], key, False)]
        if operation == "BatchWriteItem":
            touched = []
            for table, requests in request.get("RequestItems", {}).items():
                for entry in requests:
                    if "PutRequest" in entry:
                        touched.append(("PutItem", table, entry["PutRequest"]["Item"], False))
                    else:
                        touched.append(("DeleteItem", table, entry["DeleteRequest"]["Key"], False))
            return touched
        if operation == "TransactWriteItems":
            touched = []
            for entry in request.get("TransactItems", []):
                (action, spec), = entry.items()
                op = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}.get(action, action)
                touched.append((op, spec["TableName"], spec.get("Item") or spec.get("Key"), True))
            return touched
        return []

    def _image(self, backend, table_name, key):
        table = backend.get_table(table_name)
        hash_key = self._dynamo(key[table.hash_key_attr])
        range_key = self._dynamo(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_key, range_key)
        return table, (copy.deepcopy(item.to_json()["Attributes"]) if item is not None else None)

    @staticmethod
    def _dynamo(value):
        return DynamoType(value)

    def _before(self, backend, operation, request):
        return [
            (op, table, key, transactional, self._image(backend, table, key)[1])
            for op, table, key, transactional in self._writes(backend, operation, request)
        ]

    def _after(self, backend, operation, request, before, ok, response):
        if operation in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
            return self._write_records(backend, operation, before, ok, response)
        return self._read_records(backend, operation, request, ok, response)

    def _write_records(self, backend, operation, before, ok, response):
        error = str(response.get("__type", "")) if not ok else ""
        reasons = [r.get("Code", "None") for r in response.get("CancellationReasons", [])] if not ok else []
        records = []
        for position, (op, table_name, key, transactional, old) in enumerate(before):
            table, new = self._image(backend, table_name, key)
            if ok:
                outcome = "ok"
            elif error.endswith("ConditionalCheckFailedException"):
                outcome = "condition_failed"
            elif error.endswith("TransactionCanceledException"):
                reason = reasons[position] if position < len(reasons) else "None"
                outcome = "condition_failed" if reason == "ConditionalCheckFailed" else "cancelled"
            else:
                outcome = "error"
            indexes = []
            for gsi in table.global_indexes:
                index = Index(table, gsi)
                old_entry, new_entry = index.entry(old), index.entry(new)
                if old_entry is None and new_entry is None:
                    continue
                indexes.append({
                    "index": index.name,
                    "before_pk": scalar(old_entry[index.hash]) if old_entry is not None else None,
                    "after_pk": scalar(new_entry[index.hash]) if new_entry is not None else None,
                    "before_size": item_size(old_entry) if old_entry is not None else None,
                    "after_size": item_size(new_entry) if new_entry is not None else None,
                    "key_changed": index.key(old_entry) != index.key(new_entry),
                    "changed": old_entry != new_entry,
                })
            records.append({
                "kind": "write",
                "op": op,
                "request": operation,
                "transactional": transactional,
                "outcome": outcome,
                "table": table_name,
                "pk": scalar(key[table.hash_key_attr]),
                "before": item_size(old) if old is not None else None,
                "after": item_size(new) if new is not None else None,
                "indexes": indexes,
            })
        return records

    # Reads: what each read returned, sized as DynamoDB bills it.

    def _read_records(self, backend, operation, request, ok, response):
        outcome = "ok" if ok else "error"
        if operation == "GetItem":
            return [self._get(backend, operation, request["TableName"], request["Key"],
                              bool(request.get("ConsistentRead")), False, outcome)]
        if operation == "BatchGetItem":
            return [
                self._get(backend, operation, table, key, bool(spec.get("ConsistentRead")), False, outcome)
                for table, spec in request.get("RequestItems", {}).items()
                for key in spec.get("Keys", [])
            ]
        if operation == "TransactGetItems":
            return [
                self._get(backend, operation, entry["Get"]["TableName"], entry["Get"]["Key"], True, True, outcome)
                for entry in request.get("TransactItems", [])
            ]
        if operation in ("Query", "Scan"):
            return [self._query(backend, operation, request, outcome, response)]
        return []

    def _get(self, backend, operation, table_name, key, consistent, transactional, outcome):
        table, image = self._image(backend, table_name, key)
        return {
            "kind": "read", "op": "GetItem", "request": operation, "transactional": transactional,
            "consistent": consistent, "outcome": outcome, "table": table_name, "index": None,
            "pk": scalar(key[table.hash_key_attr]), "sizes": [item_size(image)] if image is not None else [],
        }

    def _query(self, backend, operation, request, outcome, response):
        table = backend.get_table(request["TableName"])
        index_name = request.get("IndexName")
        gsi = next((g for g in table.global_indexes if g.name == index_name), None)
        index = Index(table, gsi) if gsi is not None else None
        hash_attr = index.hash if index is not None else table.hash_key_attr
        sizes = []
        for returned in response.get("Items", []):
            if table.hash_key_attr in returned and (not table.range_key_attr or table.range_key_attr in returned):
                _, image = self._image(backend, table.name, returned)
                entry = index.entry(image) if index is not None else image
                sizes.append(item_size(entry if entry is not None else returned))
            else:
                sizes.append(item_size(returned))
        record = {
            "kind": "read", "op": operation, "request": operation, "transactional": False,
            "consistent": bool(request.get("ConsistentRead")), "outcome": outcome,
            "table": request["TableName"], "index": index_name,
            "pk": self._query_pk(request, hash_attr) if operation == "Query" else None, "sizes": sizes,
        }
        filtered = int(response.get("ScannedCount", len(sizes))) - int(response.get("Count", len(sizes)))
        if filtered > 0:
            record["filtered"] = filtered
        return record

    @staticmethod
    def _query_pk(request, hash_attr):
        """The partition-key value of a Query, from its key condition (`#pk = :pk`)."""
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        for name, placeholder in _EQUALS.findall(request.get("KeyConditionExpression", "")):
            if names.get(name, name) == hash_attr and placeholder in values:
                return scalar(values[placeholder])
        conditions = request.get("KeyConditions", {}).get(hash_attr, {})
        if conditions.get("AttributeValueList"):
            return scalar(conditions["AttributeValueList"][0])
        return None
