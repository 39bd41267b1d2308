"""moto's standalone server, with DynamoDB requests served one at a time.

moto 5.2.5 serves every request on its own thread, and its DynamoDB backend takes no lock: two
concurrent conditional writes (or two TransactWriteItems) can both pass their conditions before
either writes, and a cancelled transaction restores a copy of the table taken before a concurrent
one committed. DynamoDB itself makes every conditional write and every transaction atomic, and the
adapters-aws concurrency tests ("of concurrent updates exactly one wins") depend on exactly that.
This launcher runs moto's own WSGI application and request handler, unchanged, behind a lock
taken only by DynamoDB requests (`X-Amz-Target: DynamoDB_20120810.*`); every other service, SQS
long polls included, stays concurrent.

It also registers, through scripts/moto_cfn.py, CloudFormation models for the resource types of
deploy/template.yaml that moto's CloudFormation would otherwise skip (SNS subscriptions, queue and
bucket policies, alarms, the HTTP API).

With `--capacity-log` it also records, for every DynamoDB request, what DynamoDB bills it by
(scripts/dynamo_capacity.py: each touched item's size before and after, its index entries, the
items a read returned), for the capacity model (`cargo run -p bbws-benchmarks --features aws --bin
capacity`). `GET /_capacity` answers `{"records": [...]}` and clears them; `DELETE /_capacity`
only clears them. Without the flag nothing is recorded, `/_capacity` answers 404, and every request
is served exactly as before.

Usage: .venv/bin/python scripts/moto_server.py [-H HOST] -p PORT [--capacity-log]
"""

import argparse
import json
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

# CloudFormation models for the resource types of deploy/template.yaml that moto lacks (see that file).
import moto_cfn  # noqa: F401  (imported for its side effect: registering the models)

_DYNAMODB = threading.Lock()
_CAPACITY_PATH = "/_capacity"


class SerializedDynamoDB:
    """WSGI middleware: DynamoDB requests run one at a time, others pass straight through.

    With a `recorder` (scripts/dynamo_capacity.py), each DynamoDB request is also recorded, under
    the same lock, so that the item images read before and after it are the ones it saw and left.
    """

    def __init__(self, app, recorder=None):
        self.app = app
        self.recorder = recorder

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == _CAPACITY_PATH:
            return self.capacity(environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _DYNAMODB:
                if self.recorder is not None:
                    return self.recorder.serve(self.app, environ, start_response)
                # Produce the whole response under the lock: WSGI bodies may be lazy.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)

    def capacity(self, environ, start_response):
        """`GET /_capacity`: the records so far (then cleared); `DELETE /_capacity`: clear them."""
        if self.recorder is None:
            return _answer(start_response, "404 Not Found", {"message": "start moto_server.py with --capacity-log"})
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "DELETE"):
            return _answer(start_response, "405 Method Not Allowed", {"message": "GET or DELETE"})
        with _DYNAMODB:
            records = self.recorder.take()
        return _answer(start_response, "200 OK", {"records": records if method == "GET" else []})


def _answer(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument(
        "--capacity-log",
        action="store_true",
        help="record what DynamoDB bills each request by, served at GET /_capacity",
    )
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    recorder = None
    if args.capacity_log:
        from dynamo_capacity import CapacityRecorder

        recorder = CapacityRecorder()
    run_simple(
        args.host,
        args.port,
        SerializedDynamoDB(app, recorder),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
