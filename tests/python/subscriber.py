#!/usr/bin/python3
"""Hostile subscribers, written from proto/README.md alone: who gets updates.

Connects as three clients and checks, over the real protocol, that only a
session that may see an evaluation is pushed its updates:
  - anonymous: Subscribe without a session is UNAUTHENTICATED, and a SUB
    socket on the old update endpoint, subscribed to everything, gets nothing;
  - an outsider (logged in, not on the evaluation's team): Subscribe to the
    evaluation is NOT_FOUND, to `all` OK, and nothing of it is pushed;
  - a member of its team subscribes to it and takes, then releases, a section
    lock: it is pushed lock.take and lock.release (so updates do flow).
Passwords of the outsider and the member on standard input, one a line.
Exit 0 when all holds, 1 otherwise (the reason on stderr).

    tests/python/subscriber.py REQUEST_ENDPOINT UPDATE_ENDPOINT SERVER_KEY EVAL_ID \\
        --outsider LOGIN --member LOGIN
"""
import argparse
import sys
import tempfile
import time

import zmq

from ping import Client, load_protocol


class Subscriber(Client):
    """A Client that keeps the pushed Updates it reads between replies."""

    def __init__(self, *args):
        super().__init__(*args)
        self.pushed = []

    def call(self, **body):
        req = self.pb.Request(request_id="py-%d" % time.monotonic_ns(),
                              protocol_version=self.pb.PROTOCOL_VERSION_CURRENT,
                              session_token=self.token, **body)
        self.sock.send(req.SerializeToString())
        while True:
            resp = self.read(self.timeout_ms)
            if resp is None:
                raise SystemExit("no answer within %d ms" % self.timeout_ms)
            if resp.request_id == req.request_id:
                return resp

    def read(self, ms):
        """One frame: a push is kept (and returned), a reply returned."""
        if not self.sock.poll(ms):
            return None
        resp = self.pb.Response()
        resp.ParseFromString(self.sock.recv())
        if resp.WhichOneof("body") == "update":
            if resp.request_id:
                raise SystemExit("a push with a request id: %r" % resp.request_id)
            self.pushed.append(resp.update)
        return resp

    def listen(self, ms):
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            self.read(max(1, int((end - time.monotonic()) * 1000)))


def expect(resp, status, what):
    if resp.status != status:
        raise SystemExit("%s: expected %s, got %s (%s)" % (
            what, Client.pb.Status.Name(status), Client.pb.Status.Name(resp.status), resp.error))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint")
    ap.add_argument("update_endpoint")
    ap.add_argument("server_key")
    ap.add_argument("evaluation", type=int)
    ap.add_argument("--outsider", required=True)
    ap.add_argument("--member", required=True)
    args = ap.parse_args()
    passwords = [sys.stdin.readline().rstrip("\n") for _ in range(2)]

    with tempfile.TemporaryDirectory(prefix="kompass-py-") as workdir:
        pb = load_protocol(workdir)
        Client.pb = pb
        new = lambda: Subscriber(pb, args.endpoint, args.server_key, 10000)  # noqa: E731
        anon, outsider, member = new(), new(), new()
        sub = anon.ctx.socket(zmq.SUB)
        sub.linger = 0
        sub.curve_publickey, sub.curve_secretkey = zmq.curve_keypair()
        sub.curve_serverkey = args.server_key.encode()
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(args.update_endpoint)

        expect(anon.call(subscribe=pb.SubscribeRequest(all=True)), pb.UNAUTHENTICATED,
               "anonymous subscribe")
        for c, login, password in ((outsider, args.outsider, passwords[0]),
                                   (member, args.member, passwords[1])):
            r = c.call(login=pb.LoginRequest(login=login, password=password))
            expect(r, pb.OK, "login " + login)
            c.token = r.login.session_token
        r = outsider.call(subscribe=pb.SubscribeRequest(evaluation_ids=[args.evaluation]))
        expect(r, pb.NOT_FOUND, "an outsider subscribing to the evaluation")
        expect(outsider.call(subscribe=pb.SubscribeRequest(all=True)), pb.OK,
               "an outsider subscribing to all")
        expect(member.call(subscribe=pb.SubscribeRequest(evaluation_ids=[args.evaluation])),
               pb.OK, "a member subscribing")
        time.sleep(0.3)  # the SUB connection is up

        lock = dict(evaluation_id=args.evaluation, area=3, section="summary")
        r = member.call(text_lock=pb.TextLockRequest(op=pb.TextLockRequest.ACQUIRE, **lock))
        expect(r, pb.OK, "taking the lock")
        r = member.call(text_lock=pb.TextLockRequest(op=pb.TextLockRequest.RELEASE,
                                                     token=r.text_lock.token, **lock))
        expect(r, pb.OK, "releasing the lock")
        member.listen(3000)
        actions = [u.action for u in member.pushed if u.evaluation_id == args.evaluation]
        if actions[:2] != ["lock.take", "lock.release"]:
            raise SystemExit("the member was pushed %r, not lock.take, lock.release" % actions)
        anon.listen(500)
        outsider.listen(500)
        for name, c in (("anonymous", anon), ("outsider", outsider)):
            if c.pushed:
                raise SystemExit("%s was pushed %r" % (name, [u.action for u in c.pushed]))
        if sub.poll(500):
            raise SystemExit("the old update socket carried %r" % sub.recv_multipart())
        print("member pushed: %s; anonymous, outsider, update socket: nothing" % ", ".join(actions))
        sub.close()
        for c in (anon, outsider, member):
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
