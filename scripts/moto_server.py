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

Usage: .venv/bin/python scripts/moto_server.py [-H HOST] -p PORT
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

# CloudFormation models for the resource types of deploy/template.yaml that moto lacks (see that file).
import moto_cfn  # noqa: F401  (imported for its side effect: registering the models)

_DYNAMODB = threading.Lock()


class SerializedDynamoDB:
    """WSGI middleware: DynamoDB requests run one at a time, others pass straight through."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _DYNAMODB:
                # Produce the whole response under the lock: WSGI bodies may be lazy.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    run_simple(
        args.host,
        args.port,
        SerializedDynamoDB(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
