"""An app served the way Python's standard library serves files: http.server's
SimpleHTTPRequestHandler resolves each request's path with its own translate_path (query and
fragment cut, percent-decoding, normpath). It answers every method with the site's name and the
path it resolved, from the site's root, in the header `X-Served: site=NAME path=/PATH` (bytes outside printable
ASCII written as backslash escapes).

Usage: python3 python_file_server.py SITE PORT ROOT
"""

import http.server
import sys

site, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3].rstrip("/")


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def answer(self):
        resolved = self.translate_path(self.path)
        served = resolved[len(root):] if resolved.startswith(root) else "!outside " + resolved
        served = (served or "/").encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        served = "".join(c if " " <= c <= "~" else "\\x%02x" % ord(c) for c in served)
        body = b"served\n"
        self.send_response(200)
        self.send_header("X-Served", f"site={site} path={served}")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
