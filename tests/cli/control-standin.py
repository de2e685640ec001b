# SPDX-License-Identifier: GPL-3.0-or-later
# control-standin.py - a stand-in server for the engine's control socket,
# for tests/cli/control-client.sh: HTTP on a unix socket, answering each
# request with canned JSON, so the client commands are tested before (and
# apart from) the real server.
#
#   python3 control-standin.py SOCKET DIR
#
# A request for /v1/NAME (status, reload, trigger, cluster) is answered with
# the body DIR/NAME.json and the status code in DIR/NAME.code (200 when
# missing), read afresh for every request, so a test changes the answer
# between two commands by rewriting the files.  Each request is appended to
# DIR/requests as "METHOD PATH" (the path with its query, as sent).
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        with open(os.path.join(DIR, "requests"), "a") as log:
            log.write("%s %s\n" % (self.command, self.path))
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        try:
            with open(os.path.join(DIR, name + ".json"), "rb") as f:
                body = f.read()
        except OSError:
            code, body = 404, b'{"error": "stand-in: no such path"}'
        else:
            try:
                with open(os.path.join(DIR, name + ".code")) as f:
                    code = int(f.read())
            except OSError:
                code = 200
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


SOCK, DIR = sys.argv[1], sys.argv[2]
with Server(SOCK, Handler) as srv:
    srv.serve_forever()
