#!/usr/bin/python3
"""Hostile clients against kompassd, written from proto/README.md alone.

One section per point of issue 16 (hostile and greedy clients); each prints
one line per check ("ok NAME: ...") and stops at the first that fails, with
"FAILED NAME: ..." on stdout and stderr and exit status 1:

  flood      one user floods (64 connections x 16 searches in flight, a few
             seconds); another user's pings, who_am_i and searches all answer
             OK; the flooder's excess is UNAVAILABLE "busy: too many of your
             requests in flight", with its request_id; the same with 64
             anonymous connections x 16 pings, and 256 pings on one
             connection without a session (the excess busy)
  junk       5,000 malformed frames from one client; the server answers each
             with BAD_REQUEST (the request_id echoed where readable) and
             still serves (the log's growth is measured by the caller)
  echo       malformed requests with a readable request_id (wrong version, no
             body, a body of junk): BAD_REQUEST with the id; two frames and a
             frame over 1 MiB: BAD_REQUEST
  strings    NUL, ESC, U+200B, U+202E, U+3164 and invalid UTF-8 in string
             fields of login, user_add, municipality_add, eval_create,
             text_save, evidence_add, score_set: BAD_REQUEST naming the field,
             request_id echoed, nothing stored; free texts keep what they may
             hold, stored exactly as sent
  lookalike  evaluators whose organisation is Västerås stad written with a
             NBSP, other case and spaces, fullwidth letters, a zero-width
             space, a Cyrillic letter: refused at the door or CONFLICT when
             assigned to an evaluation of Västerås stad
  lockout    many wrong passwords for a named user, or from the address, do
             not keep the user (a known client) out; RATE_LIMITED carries
             retry_after_ms, and waiting that long is enough
  evidence   a signed evaluation with evidence: search by a user off its team
             (evaluator, observer) returns its texts but never its evidence;
             its team's and an admin's search do

The administrator's password on standard input.

    tests/python/hostile.py SECTION [--admin LOGIN] -- ENDPOINT SERVER_KEY

Uses Debian's python3-zmq and python3-protobuf (/usr/bin/python3) and protoc.
"""
import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")

pb = None  # the generated module
CTX = None
ARGS = None
PASSWORD = "hostile-pw-" + secrets.token_hex(6)  # every test user's


class Failed(Exception):
    pass


def ok(name, text):
    print("ok %s: %s" % (name, text), flush=True)


def check(name, cond, text):
    if not cond:
        raise Failed("%s: %s" % (name, text))


def load_protocol(workdir):
    subprocess.run(["protoc", "--proto_path", PROTO_DIR, "--python_out", workdir,
                    os.path.join(PROTO_DIR, "kompass.proto")], check=True)
    sys.path.insert(0, workdir)
    import kompass_pb2  # noqa: E402 (generated just now)
    return kompass_pb2


def st(status):
    return pb.Status.Name(status)


_ids = [0]


def new_id(prefix="h"):
    _ids[0] += 1
    return "%s-%d-%s" % (prefix, _ids[0], secrets.token_hex(4))


class Conn:
    """One DEALER connection as a CURVE client; replies matched by request_id
    (pushes and late replies to other ids are skipped)."""

    def __init__(self, name="", token="", timeout_ms=30000):
        self.name = name
        self.token = token
        self.timeout_ms = timeout_ms
        self.sock = CTX.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.rcvhwm = self.sock.sndhwm = 100000
        self.public, secret = zmq.curve_keypair()
        self.sock.curve_publickey, self.sock.curve_secretkey = self.public, secret
        self.sock.curve_serverkey = ARGS.server_key.encode()
        self.sock.connect(ARGS.endpoint)

    def request(self, request_id=None, **body):
        return pb.Request(request_id=request_id or new_id(), session_token=self.token,
                          protocol_version=pb.PROTOCOL_VERSION_CURRENT, **body)

    def send(self, req):
        self.sock.send(req.SerializeToString())

    def recv(self, ms):
        """One Response, or None after ms."""
        if not self.sock.poll(ms):
            return None
        r = pb.Response()
        r.ParseFromString(self.sock.recv())
        return r

    def wait(self, request_id, ms=None):
        end = time.monotonic() + (ms or self.timeout_ms) / 1000.0
        while True:
            left = int((end - time.monotonic()) * 1000)
            r = self.recv(max(left, 0)) if left > 0 else None
            if r is None:
                raise Failed("%s: no answer to %s within %d ms" % (
                    self.name, request_id, ms or self.timeout_ms))
            if r.request_id == request_id:
                return r

    def raw(self, name, request_id=None, **body):
        """Sends one request, returns the Response whatever its status
        (UNAVAILABLE retried with the same id, as the README says)."""
        req = self.request(request_id, **body)
        for attempt in range(5):
            self.send(req)
            r = self.wait(req.request_id)
            if r.status != pb.UNAVAILABLE:
                return r
            time.sleep(0.2 * (attempt + 1))
        return r

    def call(self, name, expect=0, **body):  # 0: OK
        r = self.raw(name, **body)
        check(name, r.status == expect, "%s by %s: expected %s, got %s: %s" % (
            next(iter(body)), self.name, st(expect), st(r.status), r.error))
        return r

    def login(self, name, login, password, expect=0):
        r = self.call(name, expect, login=pb.LoginRequest(login=login, password=password))
        if expect == pb.OK:
            self.token = r.login.session_token
        return r

    def close(self):
        self.sock.close()


def admin_conn():
    a = Conn("admin")
    a.login("login admin", ARGS.admin, ARGS.admin_password)
    return a


def add_user(admin, login, role=None, org="SKL", name=None):
    role = role or pb.ROLE_EVALUATOR
    admin.call("user_add " + login, user_add=pb.UserAddRequest(
        login=login, full_name=name or "Hostile %s" % login, organisation=org, role=role,
        password=PASSWORD))
    c = Conn(login)
    c.login("login " + login, login, PASSWORD)
    return c


def tag():
    return secrets.token_hex(3)


def kk_questions(admin):
    fw = admin.call("framework_show", framework_show=pb.FrameworkShowRequest(
        code="KK2015")).framework_show
    return [a.number for a in fw.areas], [(q.code, q.max_centi) for a in fw.areas
                                          for q in a.questions]


def new_eval(admin, muni, lead, peer, start=True):
    """An evaluation of muni with lead and peer (logins) on its team."""
    ev = admin.call("eval_create", eval_create=pb.EvalCreateRequest(
        municipality=muni, framework="KK2015", label="2026",
        period="2026")).eval_create.evaluation
    for login, role in ((lead, "lead"), (peer, "peer")):
        admin.call("eval_assign", eval_assign=pb.EvalAssignRequest(
            evaluation_id=ev.id, login=login, role=role))
    if start:
        admin.call("eval_start", eval_start=pb.EvalStartRequest(evaluation_id=ev.id))
    return ev.id


# ------------------------------------------------------------------ flood

BUSY = "busy: too many of your requests in flight"


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0.0


def victim_round(v, lat):
    for body in (dict(ping=pb.PingRequest()), dict(who_am_i=pb.WhoAmIRequest()),
                 dict(search=pb.SearchRequest(query="kommun styrning"))):
        t0 = time.monotonic()
        req = v.request(**body)
        v.send(req)
        r = v.wait(req.request_id, 10000)
        lat.append(time.monotonic() - t0)
        check("flood victim", r.status == pb.OK, "%s during the flood: %s: %s" % (
            next(iter(body)), st(r.status), r.error))


def flood(name, victim, quiet, who, what, token, body, excess):
    """64 connections keep 16 requests each in flight for --flood-seconds while
    the victim's requests go on; every answer is OK or busy."""
    conns = [Conn("%s %d" % (who, i), token) for i in range(64)]
    poller = zmq.Poller()
    for c in conns:
        poller.register(c.sock, zmq.POLLIN)
    by_sock = {c.sock: c for c in conns}
    sent, counts, others, busy_ids_ok = 0, {}, [], 0
    pending = {}

    def fire(c):
        nonlocal sent
        req = c.request(**body())
        pending[req.request_id] = c
        c.send(req)
        sent += 1

    def take(sock):
        nonlocal busy_ids_ok
        r = pb.Response()
        r.ParseFromString(sock.recv())
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status == pb.UNAVAILABLE and r.error.startswith(BUSY):
            busy_ids_ok += r.request_id in pending
        elif r.status != pb.OK:
            others.append("%s: %s" % (st(r.status), r.error))
        pending.pop(r.request_id, None)

    for c in conns:
        for _ in range(16):
            fire(c)
    flooded = []
    end = time.monotonic() + ARGS.flood_seconds
    next_victim = time.monotonic()
    while time.monotonic() < end:
        for sock, _ in poller.poll(20):
            while sock.poll(0):
                take(sock)
                fire(by_sock[sock])  # keep 16 in flight on every connection
        if time.monotonic() >= next_victim:
            victim_round(victim, flooded)
            next_victim = time.monotonic() + 0.05
    drain_end = time.monotonic() + 30  # what is still in flight (no new ones)
    while pending and time.monotonic() < drain_end:
        for sock, _ in poller.poll(200):
            while sock.poll(0):
                take(sock)
    n_ok, n_busy = counts.get(pb.OK, 0), counts.get(pb.UNAVAILABLE, 0)
    check(name + " victim", len(flooded) >= 9, "only %d victim requests answered during the "
          "flood" % len(flooded))
    check(name + " victim", max(flooded) < 10.0, "a victim request waited %.1f s" %
          max(flooded))
    ok(name + " victim", "%d requests (ping, who_am_i, search) during %s's flood, every one "
       "OK; p95 %.1f ms (quiet %.1f ms), max %.1f ms" % (
           len(flooded), who, 1000 * percentile(flooded, 0.95), 1000 * percentile(quiet, 0.95),
           1000 * max(flooded)))
    check(name + " answers", not pending, "%d of %s's %d requests never answered" % (
        len(pending), who, sent))
    check(name + " answers", not others, "%s got other errors: %s" % (who, others[:3]))
    check(name + " answers", n_ok > 0, "none of %s's %s was served" % (who, what))
    ok(name + " answers", "%s sent %d %s on 64 connections, 16 in flight each: %d OK, "
       "%d busy" % (who, sent, what, n_ok, n_busy))
    if excess:  # 1,024 in flight for one session: all but 64 are excess
        check(name + " busy", n_busy > 0 and busy_ids_ok == n_busy,
              "%d busy answers, %d with the request's id" % (n_busy, busy_ids_ok))
        ok(name + " busy", "the excess got UNAVAILABLE %r with its request_id" % BUSY)
    for c in conns:
        c.close()


def section_flood():
    admin = admin_conn()
    t = tag()
    flooder = add_user(admin, "flood" + t)
    victim = add_user(admin, "victim" + t)
    quiet = []
    for _ in range(10):
        victim_round(victim, quiet)
    ok("flood quiet", "%d requests of the victim, p95 %.1f ms" % (
        len(quiet), 1000 * percentile(quiet, 0.95)))

    flood("flood", victim, quiet, "the flooder", "searches", flooder.token,
          lambda: dict(search=pb.SearchRequest(query="kommun styrning ledning")), True)
    # anyone, without logging in: 64 connections x 16 pings (within the 16 each)
    flood("flood pings", victim, quiet, "an anonymous flooder", "pings", "",
          lambda: dict(ping=pb.PingRequest()), False)

    # without a session: one connection, 256 pings at once
    anon = Conn("anonymous")
    reqs = [anon.request(ping=pb.PingRequest()) for _ in range(256)]
    for q in reqs:
        anon.send(q)
    got = {}
    t0 = time.monotonic()
    lat_anon = []
    while len(got) < len(reqs) and time.monotonic() - t0 < 30:
        if not lat_anon or time.monotonic() - t0 > 0.01 * len(lat_anon):
            victim_round(victim, lat_anon)
        r = anon.recv(50)
        while r is not None:
            got[r.request_id] = r
            r = anon.recv(0)
    check("flood anonymous", len(got) == len(reqs), "%d of %d pings answered" % (
        len(got), len(reqs)))
    busy = [r for r in got.values() if r.status == pb.UNAVAILABLE and r.error.startswith(BUSY)]
    okp = [r for r in got.values() if r.status == pb.OK]
    check("flood anonymous", len(busy) + len(okp) == len(reqs) and busy and okp,
          "%d OK, %d busy, others %s" % (len(okp), len(busy), sorted({
              "%s: %s" % (st(r.status), r.error) for r in got.values()
              if r.status != pb.OK and r not in busy})[:3]))
    ok("flood anonymous", "256 pings in flight on one connection without a session: %d OK, "
       "%d busy; the victim's %d requests meanwhile all OK" % (len(okp), len(busy),
                                                             len(lat_anon)))
    anon.close()
    # afterwards, the flooder is served again
    flooder.call("flood after", search=pb.SearchRequest(query="kommun"))
    ok("flood after", "the flooder's next search is served")


# ------------------------------------------------------------------ junk

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def ld(field, data):
    """A length-delimited protobuf field."""
    return varint(field << 3 | 2) + varint(len(data)) + data


def section_junk():
    c = Conn("junk")
    rnd = secrets.SystemRandom()
    frames = []
    for i in range(ARGS.junk):
        k = i % 5
        if k == 0:
            frames.append(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 64))))
        elif k == 1:
            frames.append(b"\xff" * rnd.randint(1, 20))  # a varint that never ends
        elif k == 2:
            frames.append(ld(1, b"junk") + b"\x12\x80")  # a field cut short
        elif k == 3:
            frames.append(b"\x0a\x7f" + b"x" * 5)  # a length beyond the frame
        else:
            frames.append(varint(7 << 3 | 7))  # wire type 7 does not exist
    got, statuses = 0, {}

    def drain(ms):
        nonlocal got
        r = c.recv(ms)
        while r is not None:
            got += 1
            key = r.status if r.status == pb.BAD_REQUEST or not r.error.startswith(BUSY) \
                else "busy"
            statuses[key] = statuses.get(key, 0) + 1
            r = c.recv(0)

    for i, f in enumerate(frames):  # read while sending: the client is not slow
        c.sock.send(f)
        if i % 50 == 49:
            drain(0)
    end = time.monotonic() + 60
    while got < len(frames) and time.monotonic() < end:
        drain(1000)
    # Not every one: a client with a thousand answers unread may lose some (ZeroMQ
    # drops at the high-water mark rather than block the server; on a loaded
    # machine 1-3 % were lost). Without an answer a client retries (README, "Retries").
    check("junk answers", got >= len(frames) // 2, "%d of %d junk frames answered" % (
        got, len(frames)))
    # a frame in hand counts towards the 16 per connection without a session:
    # the excess is "busy", as for any request (README, "Rules the server enforces")
    check("junk answers", set(statuses) <= {pb.BAD_REQUEST, "busy"} and statuses.get(
        pb.BAD_REQUEST), "statuses %s" % {k if k == "busy" else st(k): v
                                          for k, v in statuses.items()})
    ok("junk answers", "%d malformed frames: %d BAD_REQUEST, %d UNAVAILABLE busy, %d lost" % (
        len(frames), statuses.get(pb.BAD_REQUEST, 0), statuses.get("busy", 0),
        len(frames) - got))

    # the server still serves, this client and another
    r = c.call("junk after", ping=pb.PingRequest())
    check("junk after", r.ping.database_reachable, "database not reachable")
    a = admin_conn()
    a.call("junk after", who_am_i=pb.WhoAmIRequest())
    ok("junk after", "the junk client's ping and an admin's who_am_i answer OK")
    c.close()
    a.close()


def section_echo():
    """Malformed requests whose request_id is readable: BAD_REQUEST with it."""
    c = Conn("echo")
    # readable ids are echoed: wrong version, no body, two frames, a body of junk
    rid = new_id("junk")
    c.sock.send(pb.Request(request_id=rid, protocol_version=2,
                           ping=pb.PingRequest()).SerializeToString())
    r = c.recv(10000)
    check("echo version", r is not None and r.status == pb.BAD_REQUEST and r.request_id == rid,
          "version 2: %s" % (r and "%s, request_id %r, %s" % (st(r.status), r.request_id,
                                                         r.error)))
    rid = new_id("junk")
    c.sock.send(pb.Request(request_id=rid, protocol_version=1).SerializeToString())
    r = c.recv(10000)
    check("echo no body", r is not None and r.status == pb.BAD_REQUEST and r.request_id == rid,
          "no body: %s" % (r and "%s, request_id %r, %s" % (st(r.status), r.request_id,
                                                         r.error)))
    rid = new_id("junk")
    ping = pb.Request(request_id=rid, protocol_version=1, ping=pb.PingRequest())
    c.sock.send_multipart([ping.SerializeToString(), b"second"])
    r = c.recv(10000)
    check("echo two frames", r is not None and r.status == pb.BAD_REQUEST,
          "two frames: %s" % (r and st(r.status)))
    rid = new_id("junk")
    big = pb.Request(request_id=rid, protocol_version=1, login=pb.LoginRequest(
        login="admin", password="x" * (1 << 20 | 100)))
    c.sock.send(big.SerializeToString())
    r = c.recv(20000)
    check("echo big", r is not None and r.status == pb.BAD_REQUEST and "limit" in r.error,
          "a frame over 1 MiB: %s" % (r and "%s %s" % (st(r.status), r.error)))
    # a readable request_id followed by bytes that do not decode: every case is
    # tried, then the section fails naming those that lost the id
    lost = []
    for what, tail in (("a ping body of junk", ld(16, b"\xff\xff\xff")),
                       ("a body cut short", ld(25, ld(1, b"abc"))[:-2]),
                       ("a varint that never ends", b"\x10\xff\xff"),
                       ("wire type 7", varint(9 << 3 | 7)),
                       ("a length beyond the frame", b"\x1a\x7fxx")):
        rid = new_id("echo")
        c.sock.send(ld(1, rid.encode()) + tail)
        r = c.recv(10000)
        check("echo junk", r is not None and r.status == pb.BAD_REQUEST, "%s: %s" % (
            what, r and st(r.status)))
        if r.request_id == rid:
            ok("echo junk", "%s after a readable request_id: BAD_REQUEST with the id" % what)
        else:
            print("-- echo junk: %s after a readable request_id: BAD_REQUEST with request_id "
                  "%r (%s)" % (what, r.request_id, r.error), flush=True)
            lost.append(what)
    check("echo junk", not lost, "the request_id was readable but not echoed for: %s" %
          "; ".join(lost))
    ok("echo", "version 2, no body, a body of junk: BAD_REQUEST with the request_id; "
       "two frames, over 1 MiB: BAD_REQUEST")
    c.close()


# ------------------------------------------------------------------ strings

BAD = [("\u0000", "NUL"), ("\u001b", "U+001B"), ("\u200b", "U+200B"), ("\u202e", "U+202E"),
       ("\u3164", "U+3164")]
CONTROL = BAD[:2]  # what a free text or a one-line string refuses too


def refused(name, conn, path, where, body, position=None):
    """Sends body; expects BAD_REQUEST naming path and what was found, with
    the request_id echoed."""
    req = conn.request(**body)
    conn.send(req)
    r = conn.wait(req.request_id)
    check(name, r.status == pb.BAD_REQUEST, "%s with %s: expected BAD_REQUEST, got %s: %s" % (
        path, where, st(r.status), r.error))
    check(name, r.request_id == req.request_id, "request_id not echoed")
    check(name, ("field '%s'" % path) in r.error, "%s with %s: the error does not name the "
          "field: %s" % (path, where, r.error))
    if where != "NUL":
        check(name, where in r.error, "%s: the error does not say %s: %s" % (path, where, r.error))
    else:
        check(name, "NUL" in r.error, "%s: the error does not say NUL: %s" % (path, r.error))
    if position is not None:
        check(name, ("at character %d" % position) in r.error,
              "%s: the error does not say at character %d: %s" % (path, position, r.error))
    return r


def section_strings():
    admin = admin_conn()
    t = tag()
    lead = add_user(admin, "slead" + t)
    peer = add_user(admin, "speer" + t, org="Borås Stad")
    muni = "Strängby " + t
    admin.call("municipality_add", municipality_add=pb.MunicipalityAddRequest(name=muni))
    eid = new_eval(admin, muni, lead.name, peer.name)

    # login: admin<X>anything never logs in as admin
    anon = Conn("anonymous")
    for ch, what in BAD:
        refused("strings login", anon, "login.login", what, dict(login=pb.LoginRequest(
            login=ARGS.admin + ch + "anything", password=ARGS.admin_password)),
            len(ARGS.admin) + 1)
    ok("strings login", "login 'admin'+X+'anything' with the admin's password, X each of "
       "NUL, ESC, U+200B, U+202E, U+3164: BAD_REQUEST naming login.login at its character")

    # user_add: login, full_name, organisation
    before = {u.login for u in admin.call("user_list", user_list=pb.UserListRequest())
              .user_list.users}
    for ch, what in BAD:
        for fld in ("full_name", "organisation", "login"):
            login = "sx" + secrets.token_hex(3)
            f = dict(login=login, full_name="Eva Ek", organisation="Borås Stad",
                     role=pb.ROLE_EVALUATOR, password=PASSWORD)
            f[fld] = {"full_name": "Eva" + ch + " Ek", "organisation": "Borås" + ch + " Stad",
                      "login": login + ch + "x"}[fld]
            refused("strings user_add", admin, "user_add." + fld, what,
                    dict(user_add=pb.UserAddRequest(**f)), {"full_name": 4, "organisation": 6,
                                                           "login": len(login) + 1}[fld])
    for blank in ("", "   ", "\u00a0"):
        r = admin.raw("strings user_add", user_add=pb.UserAddRequest(
            login="sb" + secrets.token_hex(3), full_name=blank, organisation="SKL",
            role=pb.ROLE_EVALUATOR, password=PASSWORD))
        # empty is the RPC's rule ("the full name is empty"); blank, the name rule's
        check("strings user_add", r.status == pb.BAD_REQUEST and (
            "full name" in r.error if not blank else "'user_add.full_name'" in r.error),
            "a blank full name %r: %s %s" % (blank, st(r.status), r.error))
    after = {u.login for u in admin.call("user_list", user_list=pb.UserListRequest())
             .user_list.users}
    check("strings user_add", after == before, "users stored: %s" % sorted(after - before))
    ok("strings user_add", "full_name, organisation, login with each character, and blank "
       "full names: BAD_REQUEST naming the field; user_list unchanged")

    # municipality_add name; eval_create label
    before = sorted(m.name for m in admin.call("municipality_list", municipality_list=pb
                                               .MunicipalityListRequest())
                    .municipality_list.municipalities)
    evs = len(admin.call("eval_list", eval_list=pb.EvalListRequest()).eval_list.evaluations)
    for ch, what in BAD:
        refused("strings municipality_add", admin, "municipality_add.name", what, dict(
            municipality_add=pb.MunicipalityAddRequest(name="Ny" + ch + "stad " + t)), 3)
        refused("strings eval_create", admin, "eval_create.label", what, dict(
            eval_create=pb.EvalCreateRequest(municipality=muni, framework="KK2015",
                                             label="2027" + ch, period="2027")), 5)
    after = sorted(m.name for m in admin.call("municipality_list", municipality_list=pb
                                              .MunicipalityListRequest())
                   .municipality_list.municipalities)
    check("strings municipality_add", after == before, "stored: %s" % (set(after) - set(before)))
    n = len(admin.call("eval_list", eval_list=pb.EvalListRequest()).eval_list.evaluations)
    check("strings eval_create", n == evs, "%d evaluations, %d before" % (n, evs))
    ok("strings municipality_add", "municipality_add.name and eval_create.label with each "
       "character: BAD_REQUEST naming the field; municipality_list and eval_list unchanged")

    # text_save summary and items (free text): NUL and ESC refused, the rest kept exactly
    area = 1
    lk = lead.call("text_lock", text_lock=pb.TextLockRequest(
        evaluation_id=eid, area=area, section="summary", op=pb.TextLockRequest.ACQUIRE)
        ).text_lock
    for ch, what in CONTROL:
        refused("strings text_save", lead, "text_save.summary", what, dict(
            text_save=pb.TextSaveRequest(evaluation_id=eid, area=area, section="summary",
                                         summary="Kort" + ch + " dold del",
                                         expected_version=0, lock_token=lk.token)), 5)
    lk2 = lead.call("text_lock", text_lock=pb.TextLockRequest(
        evaluation_id=eid, area=area, section="strengths", op=pb.TextLockRequest.ACQUIRE)
        ).text_lock
    for ch, what in CONTROL:
        refused("strings text_save", lead, "text_save.items[1]", what, dict(
            text_save=pb.TextSaveRequest(evaluation_id=eid, area=area, section="strengths",
                                         items=["Bra", "Tyd" + ch + "lig"],
                                         expected_version=0, lock_token=lk2.token)), 4)
    shown = lead.call("text_show", text_show=pb.TextShowRequest(
        evaluation_id=eid, area=area)).text_show
    saved = [x for x in shown.texts if x.version]
    check("strings text_save", not saved, "texts stored: %s" % saved)
    # what a free text may hold is stored as sent, not cut: newline, tab, U+200B...
    text = "Kort\n\tdel\u200b med\u202e och\u3164 mer"
    sv = lead.call("strings text_save", text_save=pb.TextSaveRequest(
        evaluation_id=eid, area=area, section="summary", summary=text, expected_version=0,
        lock_token=lk.token, release=True)).text_save
    shown = peer.call("text_show", text_show=pb.TextShowRequest(
        evaluation_id=eid, area=area)).text_show
    s = [x for x in shown.texts if x.section == "summary"]
    check("strings text_save", s and s[0].summary == text and s[0].version == sv.version,
          "stored %r, sent %r" % (s and s[0].summary, text))
    ok("strings text_save", "text_save.summary and .items[1] with NUL or ESC: BAD_REQUEST "
       "naming the field, nothing stored; a summary with newline, tab, U+200B, U+202E, "
       "U+3164 stored exactly as sent")

    # evidence_add: title (one line), note (free text), date
    for ch, what in CONTROL:
        refused("strings evidence_add", peer, "evidence_add.evidence.title", what, dict(
            evidence_add=pb.EvidenceAddRequest(evaluation_id=eid, evidence=pb.Evidence(
                kind="document", title="Budget" + ch + " 2026", questions=["1.1"]))), 7)
        refused("strings evidence_add", peer, "evidence_add.evidence.note", what, dict(
            evidence_add=pb.EvidenceAddRequest(evaluation_id=eid, evidence=pb.Evidence(
                kind="interview", date="2026-03-01", category="official", people=2,
                note="Samtal" + ch + " med chefer"))), 7)
    ev = peer.call("evidence_list", evidence_list=pb.EvidenceListRequest(
        evaluation_id=eid)).evidence_list.evidence
    check("strings evidence_add", len(ev) == 0, "%d evidence entries stored" % len(ev))
    ok("strings evidence_add", "evidence_add.evidence.title and .note with NUL or ESC: "
       "BAD_REQUEST naming the field; evidence_list empty")

    # score_set: a rationale (free text) with NUL or ESC; the admin's on_behalf_of (a name)
    for ch, what in CONTROL:
        refused("strings score_set", lead, "score_set.writes[0].rationale", what, dict(
            score_set=pb.ScoreSetRequest(evaluation_id=eid, writes=[pb.ScoreWrite(
                question="1.1", points_centi=100, rationale="Bra" + ch + "x",
                expected_version=0)])), 4)
    for ch, what in BAD:
        refused("strings score_set", admin, "score_set.on_behalf_of", what, dict(
            score_set=pb.ScoreSetRequest(evaluation_id=eid, on_behalf_of=lead.name + ch,
                                         writes=[pb.ScoreWrite(
                                             question="1.1", points_centi=100,
                                             rationale="ok", expected_version=0)])),
            len(lead.name) + 1)
    sl = lead.call("score_list", score_list=pb.ScoreListRequest(evaluation_id=eid)).score_list
    check("strings score_set", not any(q.scores for q in sl.questions), "scores stored")
    ok("strings score_set", "score_set.writes[0].rationale with NUL or ESC, "
       "score_set.on_behalf_of with each character: BAD_REQUEST; no score stored")

    # more fields, each kind: a NUL anywhere; in a name also an invisible character
    more = [
        ("login.password", anon, "one line", lambda x: dict(login=pb.LoginRequest(
            login=ARGS.admin, password=ARGS.admin_password + x + "junk")),
         len(ARGS.admin_password) + 1),
        ("municipality_add.county", admin, "name", lambda x: dict(
            municipality_add=pb.MunicipalityAddRequest(name="Län" + t, county="Ö" + x + "län")),
         2),
        ("eval_assign.login", admin, "name", lambda x: dict(eval_assign=pb.EvalAssignRequest(
            evaluation_id=eid, login=peer.name + x, role="peer")), len(peer.name) + 1),
        ("eval_assign.reason", admin, "free text", lambda x: dict(
            eval_assign=pb.EvalAssignRequest(evaluation_id=eid, login=peer.name, role="peer",
                                             reason="ok" + x)), 3),
        ("evidence_add.evidence.reference", peer, "one line", lambda x: dict(
            evidence_add=pb.EvidenceAddRequest(evaluation_id=eid, evidence=pb.Evidence(
                kind="document", title="Plan", reference="dnr" + x))), 4),
        ("evidence_add.evidence.questions[1]", peer, "one line", lambda x: dict(
            evidence_add=pb.EvidenceAddRequest(evaluation_id=eid, evidence=pb.Evidence(
                kind="document", title="Plan", questions=["1.1", "1.2" + x]))), 4),
        ("search.query", peer, "one line", lambda x: dict(search=pb.SearchRequest(
            query="kommun" + x + "styrning")), 7),
        ("search.municipality", peer, "name", lambda x: dict(search=pb.SearchRequest(
            query="kommun", municipality=muni + x)), len(muni) + 1),
        ("text_lock.section", lead, "one line", lambda x: dict(text_lock=pb.TextLockRequest(
            evaluation_id=eid, area=2, section="summary" + x)), 8),
        ("lock_break.reason", admin, "free text", lambda x: dict(lock_break=pb.LockBreakRequest(
            evaluation_id=eid, area=1, section="strengths", reason="gick" + x + " hem")), 5),
        ("user_reset_password.new_password", admin, "one line", lambda x: dict(
            user_reset_password=pb.UserResetPasswordRequest(
                login=peer.name, new_password="a-long-password" + x + "tail")), 16),
        ("reauthenticate.password", lead, "one line", lambda x: dict(
            reauthenticate=pb.ReauthenticateRequest(password=PASSWORD + x)), len(PASSWORD) + 1),
    ]
    # newline and tab: free texts only (checked above as stored), never one line or a name
    refused("strings one line", peer, "evidence_add.evidence.title", "U+0009", dict(
        evidence_add=pb.EvidenceAddRequest(evaluation_id=eid, evidence=pb.Evidence(
            kind="document", title="Plan\t2026"))), 5)
    refused("strings one line", admin, "user_add.full_name", "U+000A", dict(
        user_add=pb.UserAddRequest(login="nl" + t, full_name="Eva\nEk", organisation="SKL",
                                   role=pb.ROLE_EVALUATOR, password=PASSWORD)), 4)
    ok("strings one line", "a tab in evidence_add.evidence.title and a newline in "
       "user_add.full_name: BAD_REQUEST naming the field")
    for path, conn, kind, body, pos in more:
        for ch, what in (BAD if kind == "name" else CONTROL):
            refused("strings more", conn, path, what, body(ch), pos)
    # nothing of it took effect: the peer's password and the lock stand, no new evidence
    check("strings more", not peer.raw("strings more", evidence_list=pb.EvidenceListRequest(
        evaluation_id=eid)).evidence_list.evidence, "evidence stored")
    locks = lead.call("lock_list", lock_list=pb.LockListRequest(evaluation_id=eid)
                      ).lock_list.locks
    check("strings more", [(x.area, x.section) for x in locks] == [(1, "strengths")],
          "locks now %s" % [(x.area, x.section) for x in locks])
    Conn("peer again").login("strings more", peer.name, PASSWORD)
    ok("strings more", "%s: BAD_REQUEST naming the field at its character (names: also "
       "U+200B, U+202E, U+3164); the lock, the evidence log and the peer's password "
       "unchanged" % ", ".join(p for p, *_ in more))

    # invalid UTF-8 (hand-encoded: protobuf libraries refuse to send it)
    rid = new_id("utf8")
    body = ld(1, b"sutf" + t.encode()) + ld(2, b"Eva \xc3\x28 Ek") + ld(3, b"SKL") + \
        b"\x20\x02" + ld(5, PASSWORD.encode())
    frame = ld(1, rid.encode()) + b"\x10\x01" + ld(3, admin.token.encode()) + ld(25, body)
    admin.sock.send(frame)
    r = admin.wait(rid)
    check("strings utf-8", r.status == pb.BAD_REQUEST and "user_add.full_name" in r.error,
          "invalid UTF-8 in user_add.full_name: %s %s" % (st(r.status), r.error))
    check("strings utf-8", r.request_id == rid, "request_id %r not echoed" % r.request_id)
    users = {u.login for u in admin.call("user_list", user_list=pb.UserListRequest())
             .user_list.users}
    check("strings utf-8", "sutf" + t not in users, "the user was stored")
    ok("strings utf-8", "invalid UTF-8 in user_add.full_name: BAD_REQUEST naming it, "
       "request_id echoed, nothing stored")


# ------------------------------------------------------------------ look-alike organisations

def section_lookalike():
    admin = admin_conn()
    t = tag()
    lead = add_user(admin, "llead" + t)
    peer = add_user(admin, "lpeer" + t, org="Borås Stad")
    # Västerås stad may exist already (a fresh server has none)
    r = admin.raw("municipality_add", municipality_add=pb.MunicipalityAddRequest(
        name="Västerås stad", kind="stad", county="Västmanlands län"))
    check("lookalike municipality", r.status in (pb.OK, pb.CONFLICT), "%s %s" % (
        st(r.status), r.error))
    for name in ("VÄSTERÅS\u00a0STAD", "Västerås  stad ", "\uff36ästerås stad"):
        r = admin.raw("municipality_add", municipality_add=pb.MunicipalityAddRequest(
            name=name, kind="stad"))
        check("lookalike municipality", r.status == pb.CONFLICT and "Västerås stad" in r.error,
              "municipality_add %r: %s %s" % (name, st(r.status), r.error))
    ok("lookalike municipality", "municipality_add of VÄSTERÅS<NBSP>STAD, 'Västerås  stad ', "
       "fullwidth V: CONFLICT naming Västerås stad")
    ev = admin.call("eval_create", eval_create=pb.EvalCreateRequest(
        municipality="västerås\u00a0 stad", framework="KK2015", label="2026" + t,
        period="2026")).eval_create.evaluation
    check("lookalike municipality", ev.municipality == "Västerås stad",
          "eval_create found %r" % ev.municipality)
    eid = ev.id
    for login, role in ((lead.name, "lead"), (peer.name, "peer")):
        admin.call("eval_assign", eval_assign=pb.EvalAssignRequest(
            evaluation_id=eid, login=login, role=role))
    ok("lookalike municipality", "eval_create of 'västerås<NBSP> stad' is of Västerås stad")

    # at the door: invisible characters and mixed scripts
    for org, what in (("Västerås\u200bstad", "U+200B"), ("Väster\u200bås stad", "U+200B"),
                      ("V\u00e4ster\u0430s stad", "Cyrillic"),
                      ("V\u0430sterås stad", "Cyrillic")):
        r = admin.raw("lookalike door", user_add=pb.UserAddRequest(
            login="ld" + secrets.token_hex(3), full_name="Vera Lik", organisation=org,
            role=pb.ROLE_EVALUATOR, password=PASSWORD))
        check("lookalike door", r.status == pb.BAD_REQUEST and "user_add.organisation" in r.error
              and what in r.error, "organisation %r: %s %s" % (org, st(r.status), r.error))
    ok("lookalike door", "organisations with U+200B or a Cyrillic 'а' in Västerås: "
       "BAD_REQUEST naming user_add.organisation")

    # accepted as names, refused as evaluators of Västerås stad
    looks = ["Västerås\u00a0stad", "VÄSTERÅS  stad", "västerås stad ", "\uff36ästerås stad",
             "Västerås kommun", "Västerås", "VÄSTERÅS kommunkoncern", "Västerås\u3000stad"]
    team0 = len(admin.call("eval_show", eval_show=pb.EvalShowRequest(
        evaluation_id=eid)).eval_show.team)
    for org in looks:
        login = "lk" + secrets.token_hex(3)
        r = admin.raw("lookalike assign", user_add=pb.UserAddRequest(
            login=login, full_name="Vera Lik", organisation=org, role=pb.ROLE_EVALUATOR,
            password=PASSWORD))
        check("lookalike assign", r.status == pb.OK, "user_add with organisation %r: %s %s" % (
            org, st(r.status), r.error))
        for who in (lead, admin):
            r = who.raw("lookalike assign", eval_assign=pb.EvalAssignRequest(
                evaluation_id=eid, login=login, role="peer"))
            check("lookalike assign", r.status == pb.CONFLICT,
                  "%s assigning an evaluator of %r to Västerås stad: %s %s" % (
                      who.name, org, st(r.status), r.error))
    team = admin.call("eval_show", eval_show=pb.EvalShowRequest(
        evaluation_id=eid)).eval_show.team
    check("lookalike assign", len(team) == team0, "the team grew to %s" % [
        (m.login, m.organisation) for m in team])
    ok("lookalike assign", "%d look-alikes of Västerås stad (%s): CONFLICT for the lead and "
       "for an admin without a reason; the team unchanged" % (
           len(looks), ", ".join(repr(x) for x in looks)))

    # the controls: another municipality's evaluator is assigned; an admin's reason overrides
    other = "lo" + t
    admin.call("user_add", user_add=pb.UserAddRequest(
        login=other, full_name="Olle Annan", organisation="Västervik kommun",
        role=pb.ROLE_EVALUATOR, password=PASSWORD))
    lead.call("lookalike control", eval_assign=pb.EvalAssignRequest(
        evaluation_id=eid, login=other, role="peer"))
    m = admin.call("lookalike control", eval_assign=pb.EvalAssignRequest(
        evaluation_id=eid, login=login, role="peer",
        reason="granskad: ingen koppling till förvaltningen")).eval_assign.member
    check("lookalike control", m.coi_override.startswith("granskad"),
          "coi_override %r" % m.coi_override)
    ok("lookalike control", "an evaluator of Västervik kommun is assigned by the lead; an admin "
       "with a reason assigns a look-alike (coi_override recorded)")


# ------------------------------------------------------------------ lockout

def section_lockout():
    admin = admin_conn()
    admin_token = admin.token
    t = tag()
    victim = add_user(admin, "lv" + t)
    known_token = victim.token
    victim.call("logout", logout=pb.LogoutRequest())  # an ended session still makes it known
    spare = add_user(admin, "ls" + t)  # logged in before the address is throttled
    spare_token = spare.token
    third = "lt" + t
    admin.call("user_add", user_add=pb.UserAddRequest(
        login=third, full_name="Tredje", organisation="SKL", role=pb.ROLE_EVALUATOR,
        password=PASSWORD))

    # an attacker (unknown clients, new connections) guesses the victim's password
    att = Conn("attacker")
    statuses, waits = [], []
    for i in range(20):
        r = att.raw("lockout guess", login=pb.LoginRequest(login=victim.name,
                                                          password="wrong-guess-%d-xx" % i))
        statuses.append(r.status)
        waits.append(r.retry_after_ms)
    check("lockout guess", statuses[:2] == [pb.UNAUTHENTICATED] * 2 and waits[:2] == [0, 0],
          "the first two wrong guesses: %s, waits %s" % ([st(x) for x in statuses[:2]],
                                                         waits[:2]))
    check("lockout guess", statuses[2] == pb.UNAUTHENTICATED and 0 < waits[2] <= 2000,
          "the third: %s, retry_after_ms %d (expected a wait of at most 2 s)" % (
              st(statuses[2]), waits[2]))
    check("lockout guess", all(x == pb.RATE_LIMITED for x in statuses[3:]) and all(
        0 < w <= 2000 for w in waits[3:]),
        "guesses inside the wait: %s, waits %s" % (sorted({st(x) for x in statuses[3:]}),
                                                    sorted(set(waits[3:]))[-3:]))
    ok("lockout guess", "20 wrong guesses: 2 UNAUTHENTICATED, the 3rd UNAUTHENTICATED with "
       "retry_after_ms %d, 17 RATE_LIMITED unchecked with retry_after_ms <= 2000" % waits[2])

    # an unknown client with the right password waits too...
    r = Conn("unknown").raw("lockout unknown", login=pb.LoginRequest(
        login=victim.name, password=PASSWORD))
    check("lockout unknown", r.status == pb.RATE_LIMITED and 0 < r.retry_after_ms <= 2000
          and r.error, "the right password from an unknown client inside the wait: %s %d %s"
          % (st(r.status), r.retry_after_ms, r.error))
    ok("lockout unknown", "the right password from an unknown client inside the wait: "
       "RATE_LIMITED, retry_after_ms %d, %r" % (r.retry_after_ms, r.error))
    # progressive: after the wait, the next wrong guess is looked at and doubles it
    time.sleep(max(waits) / 1000.0 + 0.3)
    r = att.raw("lockout progressive", login=pb.LoginRequest(login=victim.name,
                                                            password="wrong-guess-again"))
    check("lockout progressive", r.status == pb.UNAUTHENTICATED and
          2000 < r.retry_after_ms <= 4000, "a wrong guess after the wait: %s, retry_after_ms "
          "%d (expected 4 s)" % (st(r.status), r.retry_after_ms))
    unknown_failures = statuses.count(pb.UNAUTHENTICATED) + 1
    r = Conn("unknown").raw("lockout progressive", login=pb.LoginRequest(
        login=victim.name, password=PASSWORD))
    check("lockout progressive", r.status == pb.RATE_LIMITED and 2000 < r.retry_after_ms <= 4000,
          "the right password from an unknown client inside the longer wait: %s %d" % (
              st(r.status), r.retry_after_ms))
    ok("lockout progressive", "the next wrong guess after the wait: UNAUTHENTICATED, the "
       "wait now %d ms; an unknown client's right password inside it RATE_LIMITED" %
       r.retry_after_ms)
    # ...but the victim's own client (last session's token) is not kept out
    k = Conn("known", token=known_token)
    r = k.raw("lockout known", login=pb.LoginRequest(login=victim.name, password=PASSWORD))
    check("lockout known", r.status == pb.OK, "the victim with their last session's token: "
          "%s %s" % (st(r.status), r.error))
    k.token = r.login.session_token
    # its own wrong password is looked at (its own count, not the attacker's)
    r = Conn("known", token=k.token).raw("lockout known", login=pb.LoginRequest(
        login=victim.name, password="a slip of the finger"))
    check("lockout known", r.status == pb.UNAUTHENTICATED and r.retry_after_ms == 0,
          "the known client's own first wrong password: %s, retry_after_ms %d" % (
              st(r.status), r.retry_after_ms))
    # and inside a session a password check (reauthenticate) is the victim's own
    r = k.raw("lockout known", reauthenticate=pb.ReauthenticateRequest(password=PASSWORD))
    check("lockout known", r.status == pb.OK, "reauthenticate: %s %s" % (st(r.status), r.error))
    ok("lockout known", "the victim, sending their ended session's token, logs in at once; "
       "reauthenticate in the new session: OK")

    # bounded: the victim's login restarted the count ("since its last successful
    # login"); three more guesses make a wait of 2 s, and waiting that long is enough
    for i in range(3):
        r = att.raw("lockout bounded", login=pb.LoginRequest(login=victim.name,
                                                            password="wrong-again-%d-xx" % i))
        check("lockout bounded", r.status == pb.UNAUTHENTICATED and
              (r.retry_after_ms == 0) == (i < 2),
              "guess %d after the victim's login: %s, retry_after_ms %d" % (
                  i + 1, st(r.status), r.retry_after_ms))
    unknown_failures += 3
    time.sleep(r.retry_after_ms / 1000.0 + 0.3)
    r = Conn("unknown").raw("lockout bounded", login=pb.LoginRequest(
        login=victim.name, password=PASSWORD))
    check("lockout bounded", r.status == pb.OK, "after waiting: %s %s (%d ms)" % (
        st(r.status), r.error, r.retry_after_ms))
    ok("lockout bounded", "the victim's login restarted the count (three guesses: a wait of "
       "2 s); after waiting the retry_after_ms given, an unknown client logs in")

    # the address: failures spread over many logins by unknown clients
    # (a few beyond the 10th: the address's first wait is 2 s on a busy machine)
    prior = unknown_failures
    k = 10 - prior
    n = k + 4
    st2, waits2 = [], []
    for i in range(n):
        r = Conn("spray").raw("lockout address", login=pb.LoginRequest(
            login="nobody%d%s" % (i, t), password="wrong-guess-xxxxx"))
        st2.append(r.status)
        waits2.append(r.retry_after_ms)
    # the address had the failures of unknown clients above: the rest make 10
    limited = [i for i, x in enumerate(st2) if x == pb.RATE_LIMITED]
    check("lockout address", st2[:k] == [pb.UNAUTHENTICATED] * k and waits2[:k - 1] == [0] * (
        k - 1) and 0 < waits2[k - 1] <= 2000 and limited == list(range(k, n)) and all(
        0 < waits2[i] <= 60000 for i in limited),
        "%d wrong logins from the address after %d failures: %s, waits %s" % (
            n, prior, [st(x)[:5] for x in st2], waits2))
    ok("lockout address", "wrong logins of %d names from one address with %d failures "
       "before: the 10th failure makes the address wait (%d ms), RATE_LIMITED from then on" % (
           n, prior, waits2[k - 1]))
    r = Conn("unknown").raw("lockout address", login=pb.LoginRequest(
        login=third, password=PASSWORD))
    check("lockout address", r.status == pb.RATE_LIMITED and 0 < r.retry_after_ms <= 60000,
          "another user's first login from the address (unknown client): %s %d" % (
              st(r.status), r.retry_after_ms))
    addr_wait = r.retry_after_ms
    for name, login, token in (("admin", ARGS.admin, admin_token),
                               ("a user", spare.name, spare_token)):
        c = Conn("known " + name, token=token)
        pw = ARGS.admin_password if name == "admin" else PASSWORD
        r = c.raw("lockout address", login=pb.LoginRequest(login=login, password=pw))
        check("lockout address", r.status == pb.OK, "%s logging in with their last session's "
              "token from the throttled address: %s %s" % (name, st(r.status), r.error))
        c.close()
    ok("lockout address", "behind the throttled address the admin's and a user's correct "
       "password with their last session's token log in; an unknown client waits %d ms" %
       addr_wait)
    time.sleep(addr_wait / 1000.0 + 0.3)
    r = Conn("unknown").raw("lockout address", login=pb.LoginRequest(
        login=third, password=PASSWORD))
    check("lockout address", r.status == pb.OK, "after waiting %d ms: %s %s" % (
        addr_wait, st(r.status), r.error))
    ok("lockout address", "after the wait, the unknown client logs in")


# ------------------------------------------------------------------ evidence in search

def signed_evaluation(admin, lead, peer, muni, evidence):
    """An evaluation of muni taken to signed by lead and peer (and admin),
    with evidence; returns its id."""
    _, questions = kk_questions(admin)
    areas, _ = kk_questions(admin)
    eid = new_eval(admin, muni, lead.name, peer.name)
    for e in evidence:
        lead.call("evidence_add", evidence_add=pb.EvidenceAddRequest(
            evaluation_id=eid, evidence=e))
    for c in (lead, peer):
        c.call("score_set", score_set=pb.ScoreSetRequest(evaluation_id=eid, writes=[
            pb.ScoreWrite(question=q, points_centi=(m // 2) // 100 * 100,
                          rationale="enligt intervjuerna", expected_version=0)
            for q, m in questions]))
    for c in (lead, peer):
        c.call("submit", submit=pb.SubmitRequest(evaluation_id=eid))
    lead.call("consensus_auto", consensus_auto=pb.ConsensusAutoRequest(
        evaluation_id=eid, strategy="median"))
    for area in areas:
        lk = lead.call("text_lock", text_lock=pb.TextLockRequest(
            evaluation_id=eid, area=area, section="summary",
            op=pb.TextLockRequest.ACQUIRE)).text_lock
        lead.call("text_save", text_save=pb.TextSaveRequest(
            evaluation_id=eid, area=area, section="summary",
            summary="Område %d: offentligsammanfattning av arbetet." % area,
            expected_version=0, lock_token=lk.token, release=True))
        ap = peer.call("text_approve", text_approve=pb.TextApproveRequest(
            evaluation_id=eid, area=area)).text_approve
    check("evidence setup", ap.status == "review", "status %r after approvals" % ap.status)
    for c, pw, meaning in ((lead, PASSWORD, "authored"), (peer, PASSWORD, "reviewed"),
                           (admin, ARGS.admin_password, "approved")):
        sg = c.call("sign", sign=pb.SignRequest(evaluation_id=eid, meaning=meaning,
                                                password=pw)).sign
    check("evidence setup", sg.status == "signed", "status %r" % sg.status)
    return eid


def search(c, query, **kw):
    return c.call("search " + c.name, search=pb.SearchRequest(
        query=query, limit=200, **kw)).search.hits


def section_evidence():
    admin = admin_conn()
    t = tag()
    lead = add_user(admin, "elead" + t)
    peer = add_user(admin, "epeer" + t, org="Borås Stad")
    outsider = add_user(admin, "eout" + t)
    observer = add_user(admin, "eobs" + t, role=pb.ROLE_OBSERVER)
    muni = "Bevisby " + t
    admin.call("municipality_add", municipality_add=pb.MunicipalityAddRequest(name=muni))
    secret_note = "Intervjun med kommundirektören Hemligsson om budgetunderskottet"
    secret_title = "Hemlighetsprotokoll från nämnden"
    eid = signed_evaluation(admin, lead, peer, muni, [
        pb.Evidence(kind="interview", date="2026-03-02", category="official", people=1,
                    note=secret_note, questions=["1.1"]),
        pb.Evidence(kind="document", title=secret_title, reference="dnr 2026/17",
                    note="Hemligsson nämns", questions=["1.2"])])
    ok("evidence setup", "evaluation %d of %s signed, with an interview and a document" % (
        eid, muni))

    queries = ("Hemligsson", "Hemlighetsprotokoll", "budgetunderskottet", "kommundirektören")
    for c in (outsider, observer):
        for q in queries:
            for kw in ({}, {"kind": "evidence"}, {"municipality": muni}, {"question": "1.1"}):
                hits = search(c, q, **kw)
                bad = [h for h in hits if h.kind == "evidence" or h.evidence_id or
                       "Hemlig" in h.text or "Hemlig" in h.highlight]
                check("evidence outsider", not bad, "%s searching %r %s got evidence: %s" % (
                    c.name, q, kw, [(h.evaluation_id, h.kind, h.text[:60]) for h in bad]))
        pub = [h for h in search(c, "offentligsammanfattning", municipality=muni)
               if h.evaluation_id == eid]
        check("evidence outsider", pub and all(h.kind == "summary" for h in pub),
              "%s does not find the signed evaluation's summaries (%d hits): the search "
              "itself is not working" % (c.name, len(pub)))
        r = c.raw("evidence outsider", evidence_list=pb.EvidenceListRequest(evaluation_id=eid))
        check("evidence outsider", r.status == pb.NOT_FOUND, "%s evidence_list: %s" % (
            c.name, st(r.status)))
    ok("evidence outsider", "an evaluator and an observer off the team: search for the "
       "evidence's words (any kind, kind evidence, by municipality, by question) returns no "
       "evidence; they do find its %d summaries; evidence_list NOT_FOUND" % len(pub))

    for c in (lead, peer, admin):
        hits = [h for h in search(c, "Hemligsson") if h.evaluation_id == eid]
        kinds = sorted(h.kind for h in hits)
        check("evidence team", kinds == ["evidence", "evidence"] and any(
            h.text == secret_note or secret_note in h.text for h in hits),
            "%s searching Hemligsson: %s" % (c.name, [(h.kind, h.text[:50]) for h in hits]))
        hits = [h for h in search(c, "Hemlighetsprotokoll", kind="evidence")
                if h.evaluation_id == eid]
        check("evidence team", len(hits) == 1 and secret_title in hits[0].text,
              "%s searching the title: %s" % (c.name, [(h.kind, h.text[:50]) for h in hits]))
    ok("evidence team", "the lead, the peer and an admin find the interview note and the "
       "document's title (and note) in search")


SECTIONS = {"flood": section_flood, "junk": section_junk, "echo": section_echo, "strings": section_strings,
            "lookalike": section_lookalike, "lockout": section_lockout,
            "evidence": section_evidence}


def main():
    global pb, CTX, ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("section", choices=sorted(SECTIONS))
    ap.add_argument("endpoint")
    ap.add_argument("server_key")
    ap.add_argument("--admin", default="admin")
    ap.add_argument("--flood-seconds", type=float, default=4.0)
    ap.add_argument("--junk", type=int, default=5000)
    ARGS = ap.parse_args()
    ARGS.admin_password = sys.stdin.readline().rstrip("\n")
    with tempfile.TemporaryDirectory(prefix="kompass-py-") as workdir:
        pb = load_protocol(workdir)
        CTX = zmq.Context()
        try:
            SECTIONS[ARGS.section]()
            rc = 0
        except Failed as e:
            print("FAILED %s" % e, flush=True)
            print("FAILED %s" % e, file=sys.stderr)
            rc = 1
        finally:
            CTX.destroy(linger=0)
    if rc == 0:
        print("%s: every check passed" % ARGS.section)
    return rc


if __name__ == "__main__":
    sys.exit(main())
