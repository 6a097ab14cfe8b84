"""Run localstripe on loopback with its state in a file of our choosing.

localstripe (GPL-3.0, a dev/test tool only) listens on every interface from
its own command line and pickles its store to one fixed file shared by every
instance on the machine. This runner binds 127.0.0.1 only, points the store
at `--state` (or keeps it in memory), and registers the app's webhook.

    python -m tests.support.localstripe_server --port 8420 \
        --state instance/localstripe.pickle \
        --webhook-url http://127.0.0.1:5000/webhooks/stripe --webhook-secret whsec_…
"""
import argparse
import logging
import pickle

from aiohttp import web
from localstripe import resources, server
from localstripe.webhooks import register_webhook


def use_state_file(path):
    def load(self):
        if not path:
            return
        try:
            with open(path, "rb") as f:
                self.clear()
                self.update(pickle.load(f))
        except FileNotFoundError:
            pass

    def dump(self):
        if path:
            with open(path, "wb") as f:
                pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", default="", help="pickle file; empty keeps state in memory")
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    args = parser.parse_args(argv)

    use_state_file(args.state)
    resources.store.try_load_from_disk()
    if args.webhook_url:
        register_webhook("fund", args.webhook_url, args.webhook_secret, None)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None,
                access_log=None)


if __name__ == "__main__":
    main()
