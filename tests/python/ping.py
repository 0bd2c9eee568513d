#!/usr/bin/python3
"""A Kompass client in Python: proof that the protocol is all a client needs.

Generates the Python code for proto/kompass.proto with protoc into a
temporary directory, connects a ZeroMQ DEALER to kompassd as a CURVE client,
and sends Ping. With --login USER (password on standard input) it also logs
in, asks WhoAmI, checks that the server saw this client's CURVE key, and logs
out. Exit 0 when every answer was OK, 1 otherwise (the reason on stderr).

    tests/python/ping.py tcp://127.0.0.1:5555 SERVER_PUBLIC_KEY [--login admin]

Uses Debian's python3-zmq and python3-protobuf (/usr/bin/python3) and protoc.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import uuid

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")


def load_protocol(workdir):
    """Runs protoc --python_out and imports the generated module."""
    subprocess.run(["protoc", "--proto_path", PROTO_DIR, "--python_out", workdir,
                    os.path.join(PROTO_DIR, "kompass.proto")], check=True)
    sys.path.insert(0, workdir)
    import kompass_pb2  # noqa: E402 (generated just now)
    return kompass_pb2


class Client:
    def __init__(self, pb, endpoint, server_key, timeout_ms):
        self.pb = pb
        self.timeout_ms = timeout_ms
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.public, secret = zmq.curve_keypair()
        self.sock.curve_publickey = self.public
        self.sock.curve_secretkey = secret
        self.sock.curve_serverkey = server_key.encode()
        self.sock.connect(endpoint)
        self.token = ""

    def call(self, **body):
        """Sends a Request with one body field; returns the Response."""
        req = self.pb.Request(request_id=uuid.uuid4().hex,
                              protocol_version=self.pb.PROTOCOL_VERSION_CURRENT,
                              session_token=self.token, **body)
        self.sock.send(req.SerializeToString())
        if not self.sock.poll(self.timeout_ms):
            raise SystemExit("no answer within %d ms (wrong server key?)" % self.timeout_ms)
        resp = self.pb.Response()
        resp.ParseFromString(self.sock.recv())
        if resp.request_id != req.request_id:
            raise SystemExit("answer to another request: %r" % resp.request_id)
        if resp.status != self.pb.OK:
            raise SystemExit("%s: %s" % (self.pb.Status.Name(resp.status), resp.error))
        return resp

    def close(self):
        self.sock.close()
        self.ctx.term()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint")
    ap.add_argument("server_key")
    ap.add_argument("--login", help="also log in as this user (password on stdin)")
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="kompass-py-") as workdir:
        pb = load_protocol(workdir)
        c = Client(pb, args.endpoint, args.server_key, int(args.timeout * 1000))
        try:
            ping = c.call(ping=pb.PingRequest()).ping
            print("ping: kompassd %s, protocol %d, database %s" % (
                ping.server_version, ping.protocol_version,
                "reachable" if ping.database_reachable else "NOT reachable"))
            if not ping.database_reachable:
                return 1
            if args.login:
                password = sys.stdin.readline().rstrip("\n")
                login = c.call(login=pb.LoginRequest(login=args.login, password=password)).login
                c.token = login.session_token
                me = c.call(who_am_i=pb.WhoAmIRequest()).who_am_i
                if me.client_key != c.public.decode():
                    raise SystemExit("server saw CURVE key %r, ours is %r"
                                     % (me.client_key, c.public.decode()))
                print("whoami: %s (%s, %s), role %s" % (me.user.login, me.user.full_name,
                      me.user.organisation, pb.Role.Name(me.user.role)))
                c.call(logout=pb.LogoutRequest())
                print("logout: ok")
        finally:
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
