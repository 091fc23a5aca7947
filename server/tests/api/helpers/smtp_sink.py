"""A real SMTP server for the tests (aiosmtpd, from PyPI): every message it accepts is written to
FOLDER as one file (the envelope's recipients on a first `X-Envelope-To:` line, then the message
as received). It listens on 127.0.0.1:PORT (0: a free port) and prints the port on its first line.

    python3 smtp_sink.py FOLDER [PORT]
"""

import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP


class Folder:
    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(len(os.listdir(folder)))

    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(self.folder, f"{next(self.numbers):06}.eml")
        with open(path + ".part", "wb") as f:
            f.write(("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode())
            f.write(envelope.original_content or envelope.content)
        # Whole files only: a reader never sees half a message.
        os.rename(path + ".part", path)
        return "250 2.0.0 Message accepted"


async def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    handler = Folder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
