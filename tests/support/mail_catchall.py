"""A catch-all SMTP server for `make run`: every message is kept as an .eml file.

Listens on loopback only. The app sends all mail here (MAIL_SERVER/MAIL_PORT)
and the office opens what arrived at /office/mail/catch-all (MAIL_CATCHALL_DIR).

    python -m tests.support.mail_catchall --port 8425 --dir instance/mail
"""
import argparse
import itertools
import time
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller


class KeepEveryMessage:
    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{next(self.numbers):05d}.eml"
        path = self.directory / name
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message kept"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8425)
    parser.add_argument("--dir", default="instance/mail")
    args = parser.parse_args()
    controller = Controller(KeepEveryMessage(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"mail catch-all on 127.0.0.1:{args.port}, messages kept in {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
