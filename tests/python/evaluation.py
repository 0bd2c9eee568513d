#!/usr/bin/python3
"""A whole KommunKompassen evaluation through the Kompass protocol, in Python.

Written from proto/README.md and proto/kompass.proto alone (no server or CLI
code), as proof that they are all a client needs. Logs in as an
administrator (password on standard input), makes evaluator users (a lead
and one peer, or --peers N) and logs in as each on a connection of its own,
finds or imports a framework, adds a municipality, creates an evaluation,
assigns the team, starts it, lets each evaluator score every question (with
versions) and submit, follows the evaluation with the Clone pattern (updates, snapshot,
changes), reaches consensus (consensus_auto, then consensus_set for the
rest), writes every area's summary under a section lock, has the other
evaluator approve it (four eyes), signs (lead, peers, admin) and verifies:
eval_verify, and the audit chain read a page at a time and recomputed here as
an export would be (docs/audit.md), its head compared with audit_verify.

Prints one line per step. Exit 0 when every step succeeded; otherwise 1,
with the failed step and the server's status and error on stderr.
KOMPASS_PY_DEBUG=1 also prints every change read with eval_changes (stderr).

    tests/python/evaluation.py [--timeout S] [--peers N] -- tcp://127.0.0.1:5555 SERVER_KEY

Uses Debian's python3-zmq and python3-protobuf (/usr/bin/python3) and protoc.
"""
import argparse
import datetime
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")
FRAMEWORK_JSON = os.path.join(HERE, "..", "data", "kommunkompassen-2015.json")

pb = None  # the generated module, set by load_protocol
# eval_changes page size: small, to exercise paging. Used only while no two
# changes share a version: when they do (a text save that withdraws an
# approval, proto/README "Versions and changes"), a page ending between them
# loses the second, since since_version cannot tell them apart.
CHANGES_PAGE = 3


def load_protocol(workdir):
    """Runs protoc --python_out and imports the generated module."""
    subprocess.run(["protoc", "--proto_path", PROTO_DIR, "--python_out", workdir,
                    os.path.join(PROTO_DIR, "kompass.proto")], check=True)
    sys.path.insert(0, workdir)
    import kompass_pb2  # noqa: E402 (generated just now)
    return kompass_pb2


class StepFailed(Exception):
    def __init__(self, step, what, status=None, error=""):
        super().__init__(step)
        self.step, self.what, self.status, self.error = step, what, status, error

    def __str__(self):
        if self.status is None:
            return "step %s failed: %s" % (self.step, self.what)
        return "step %s failed: %s: %s: %s" % (self.step, self.what,
                                                pb.Status.Name(self.status), self.error)


def check(step, cond, what):
    if not cond:
        raise StepFailed(step, what)


class Client:
    """One user's connection: a DEALER socket, a session token."""

    def __init__(self, ctx, endpoint, server_key, timeout_ms, name):
        self.name = name
        self.timeout_ms = timeout_ms
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.public, secret = zmq.curve_keypair()
        self.sock.curve_publickey = self.public
        self.sock.curve_secretkey = secret
        self.sock.curve_serverkey = server_key.encode()
        self.sock.connect(endpoint)
        self.token = ""

    def call(self, step, expect=(0,), request_id=None, **body):
        """Sends a Request with one body field; returns the Response.

        Any status outside `expect` (OK by default) fails the step with the
        server's status and error. UNAVAILABLE and timeouts are retried with
        the same request_id, as the README says. `request_id`: send a request
        again as a retry would (default: a new id)."""
        self.last_id = request_id or uuid.uuid4().hex
        req = pb.Request(request_id=self.last_id,
                         protocol_version=pb.PROTOCOL_VERSION_CURRENT,
                         session_token=self.token, **body)
        data = req.SerializeToString()
        what = "%s as %s" % (next(iter(body)), self.name)
        last = None
        for attempt in range(4):
            self.sock.send(data)
            deadline = time.monotonic() + self.timeout_ms / 1000.0
            resp = None
            while resp is None:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0 or not self.sock.poll(left):
                    break
                r = pb.Response()
                try:
                    r.ParseFromString(self.sock.recv())
                except Exception as e:  # protobuf's DecodeError
                    raise StepFailed(step, "%s: the answer is not a Response: %s" % (what, e))
                if r.request_id == req.request_id:  # else a late answer to an old try
                    resp = r
            if resp is None:
                continue
            last = resp
            if resp.status == pb.UNAVAILABLE and pb.UNAVAILABLE not in expect:
                time.sleep(0.2 * (attempt + 1))
                continue
            if resp.status not in expect:
                raise StepFailed(step, what, resp.status, resp.error)
            return resp
        if last is not None:
            raise StepFailed(step, what + " (%d tries)" % (attempt + 1), last.status, last.error)
        raise StepFailed(step, "%s: no answer within %d ms, %d tries" % (
            what, self.timeout_ms, attempt + 1))

    def login(self, step, login, password):
        r = self.call(step, login=pb.LoginRequest(login=login, password=password)).login
        self.token = r.session_token
        return r

    def close(self):
        self.sock.close()


# ------------------------------------------------------------------ updates
#
# Everything about live updates is here: the rest of the script calls
# subscribe() once and then uses only the returned object's `received`
# (Update messages in arrival order), poll(ms), wait_for(version, ms) and
# close().
# proto/README.md, "Updates": a `subscribe` request on a DEALER connection
# with a session; from its reply on, the server pushes Responses with an
# empty request_id and body `update` on that same connection. Here the
# subscriber has a connection of its own (the user's session token, a second
# DEALER), so that pushes never interleave with the script's own calls.

def subscribe(ctx, client, args, ping, evaluation_id, admin):
    """Starts following one evaluation's updates, for `client`'s user; returns
    once the server has answered the subscription (pushes flow from there)."""
    del ping, admin  # the subscription's reply says it holds
    conn = Client(ctx, args.endpoint, args.server_key, client.timeout_ms,
                  client.name + " (updates)")
    conn.token = client.token
    r = conn.call("subscribe", subscribe=pb.SubscribeRequest(
        evaluation_ids=[evaluation_id])).subscribe
    check("subscribe", list(r.evaluation_ids) == [evaluation_id] and not r.all,
          "subscribed to %s (all %s)" % (list(r.evaluation_ids), r.all))
    check("subscribe", not r.was_subscribed, "a new connection was already subscribed")
    return Updates(conn, evaluation_id)


class Updates:
    def __init__(self, conn, evaluation_id):
        self.conn = conn
        self.evaluation_id = evaluation_id
        self.received = []  # Update messages, in arrival order

    def poll(self, timeout_ms):
        """Reads what has arrived (waiting up to timeout_ms for the first)."""
        got = []
        sock = self.conn.sock
        while sock.poll(timeout_ms):
            data = sock.recv()
            timeout_ms = 0
            r = pb.Response()
            try:
                r.ParseFromString(data)
            except Exception as e:  # protobuf's DecodeError
                raise StepFailed("updates", "a pushed frame is not a Response: %s" % e)
            check("updates", r.request_id == "" and r.WhichOneof("body") == "update",
                  "a frame on the subscribed connection that is not a push (request_id %r)"
                  % r.request_id)
            u = r.update
            check("updates", not u.ended, "the subscription ended: %s" % u.reason)
            # a subscription to exactly this id never gets another's
            check("updates", u.evaluation_id == self.evaluation_id,
                  "an update for evaluation %d on a subscription to %d" % (
                      u.evaluation_id, self.evaluation_id))
            got.append(u)
        self.received.extend(got)
        return got

    def wait_for(self, version, timeout_ms):
        """Waits until an update with at least this version has arrived."""
        deadline = time.monotonic() + timeout_ms / 1000.0
        while True:
            if any(u.version >= version for u in self.received):
                return True
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0:
                return False
            self.poll(left)

    def close(self):
        self.conn.close()


# ------------------------------------------------------------------ the Clone pattern

class Replica:
    """A client's copy of an evaluation's scores: a snapshot, then the changes
    after its version (the Clone pattern)."""

    def __init__(self, snap):
        self.version = snap.version
        self.scores = {(s.question, s.evaluator): s.points_centi for s in snap.scores}
        self.applied = 0
        self.actions = {}
        self.hidden = []  # changes whose values were withheld from us

    def apply(self, changes):
        """Applies one eval_changes answer (asked with since_version =
        self.version). Two changes may carry one version (a text save that
        withdraws an approval): every change of the answer is applied."""
        base = self.version
        for c in changes:
            if os.environ.get("KOMPASS_PY_DEBUG"):
                print("change %d %s %s %r hidden=%s before=%s after=%s" % (
                    c.version, c.actor, c.action, c.target, c.hidden, c.before[:300],
                    c.after[:300]), file=sys.stderr)
            if c.version <= base:
                continue
            self.actions[c.action] = self.actions.get(c.action, 0) + 1
            if c.hidden:
                self.hidden.append(c)
            elif c.action == "score.set" and c.after:
                for key, points in score_values(json.loads(c.after), c):
                    self.scores[key] = points
            self.version = c.version
            self.applied += 1

    def rebase(self, snap):
        """A new snapshot replaces the copy (after a gap, or once hidden
        values may be seen)."""
        self.version = snap.version
        self.scores = {(s.question, s.evaluator): s.points_centi for s in snap.scores}
        self.hidden = []


def follow_changes(c, replica, eid):
    """eval_changes after the replica's version, page by page, until it has
    the evaluation's current version."""
    while True:
        ch = c.call("eval_changes", eval_changes=pb.EvalChangesRequest(
            evaluation_id=eid, since_version=replica.version, limit=CHANGES_PAGE)).eval_changes
        replica.apply(ch.changes)
        if not ch.changes or replica.version >= ch.version:
            return ch.version


def score_values(after, change):
    """(question, evaluator) -> centipoints from a score.set change's `after`.

    Found by experiment (the README does not say): {"evaluator": LOGIN,
    "scores": {"1.1": {"points": "12.5", "rationale": ...}, ...}}, points as
    a decimal string of whole points (not centipoints)."""
    ev = after.get("evaluator") or change.actor
    out = []
    for q, s in after.get("scores", {}).items():
        whole, _, frac = s["points"].partition(".")
        out.append(((q, ev), int(whole) * 100 + int((frac + "00")[:2])))
    return out


# ------------------------------------------------------------------ the evaluation

def say(step, text):
    print("%-22s %s" % (step + ":", text), flush=True)


def scores_for(questions, who):
    """Points per question in centipoints. The evaluators agree on most
    questions, differ a little on some and much on two (the first peer)."""
    out = {}
    for i, (code, max_c) in enumerate(questions):
        base = (max_c * 6 // 10) // 50 * 50  # 60 % of max, to half points
        if who == "peer":
            if i % 5 == 1:
                base += 50  # half a point more: a minor difference
            elif i in (3, 17):
                base = max_c // 10 // 50 * 50  # 10 %: a major disagreement
        elif who != "lead" and i % 7 == 2:
            base += 100  # further peers: a point more here and there
        out[code] = min(base, max_c)
    return out


def run(args, ctx, admin_password):
    tag = secrets.token_hex(3)
    timeout = int(args.timeout * 1000)

    admin = Client(ctx, args.endpoint, args.server_key, timeout, "admin")
    conns = [admin]
    try:
        return evaluation(args, ctx, admin, conns, admin_password, tag, timeout)
    finally:
        for c in conns:
            c.close()


def evaluation(args, ctx, admin, conns, admin_password, tag, timeout):
    # ---- connect, log in
    ping = admin.call("ping", ping=pb.PingRequest()).ping
    check("ping", ping.database_reachable, "database not reachable")
    say("ping", "kompassd %s, protocol %d, publishes on %s" % (
        ping.server_version, ping.protocol_version, ping.publish_endpoint))
    me = admin.login("login admin", args.admin, admin_password)
    check("login admin", me.user.role == pb.ROLE_ADMIN, "not an administrator")
    say("login admin", "%s (%s)" % (me.user.login, me.user.full_name))

    # ---- users
    users = {}  # "lead", "peer", "peer2", ...: (login, password, Client)
    for i in range(args.peers + 1):
        role = "lead" if i == 0 else "peer" if i == 1 else "peer%d" % i
        login = "py%s%s" % (role, tag)
        password = "py-%s-%s" % (role, secrets.token_hex(8))
        step = "user_add " + role
        u = admin.call(step, user_add=pb.UserAddRequest(
            login=login, full_name="Python %s %s" % (role.capitalize(), tag),
            organisation="SKL" if role == "lead" else "Borås Stad",
            role=pb.ROLE_EVALUATOR, password=password)).user_add.user
        check(step, u.login == login and u.active, "user not as asked: %s" % u)
        c = Client(ctx, args.endpoint, args.server_key, timeout, login)
        conns.append(c)
        c.login("login " + role, login, password)
        users[role] = (login, password, c)
        say(step, "%s, logged in on its own connection" % login)
    lead, peer = users["lead"][2], users["peer"][2]

    # ---- framework
    fws = admin.call("framework_list", framework_list=pb.FrameworkListRequest()).framework_list
    with open(FRAMEWORK_JSON, encoding="utf-8") as f:
        fw = json.load(f)
    code = fw["framework"]["code"]
    if "year" not in fw["framework"]:
        # kompassd requires framework.year (1990-2100); the shipped file has none
        fw["framework"]["year"] = int(code[-4:])
    known = [f for f in fws.frameworks if f.code == code]
    say("framework_list", "%d framework(s): %s" % (len(fws.frameworks), ", ".join(
        "%s (%d, %d questions)" % (f.code, f.year, f.questions) for f in fws.frameworks)))
    # Import it: CONFLICT when the server has it already (as a test server does)
    r = admin.call("framework_import", expect=(pb.CONFLICT,) if known else (pb.OK,),
                   framework_import=pb.FrameworkImportRequest(
                       json=json.dumps(fw, ensure_ascii=False)))
    if known:
        say("framework_import", "%s there already: CONFLICT (%s)" % (code, r.error))
    else:
        f = r.framework_import.framework
        check("framework_import", f.total_max_centi == 80000,
              "total max %d centipoints, expected 80000" % f.total_max_centi)
        say("framework_import", "%s: %d areas, %d questions" % (f.code, f.areas, f.questions))
    show = admin.call("framework_show", framework_show=pb.FrameworkShowRequest(
        code=code)).framework_show
    areas = [a.number for a in show.areas]
    questions = [(q.code, q.max_centi) for a in show.areas for q in a.questions]
    check("framework_show", show.framework.total_max_centi == 80000,
          "total max %d, expected 80000 centipoints" % show.framework.total_max_centi)
    say("framework_show", "%s: %d areas, %d questions" % (code, len(areas), len(questions)))

    # ---- municipality, evaluation, team
    muni = "Pythonköping %s" % tag
    m = admin.call("municipality_add", municipality_add=pb.MunicipalityAddRequest(
        name=muni, kind="kommun", county="Västmanlands län")).municipality_add.municipality
    say("municipality_add", "%s (id %d)" % (m.name, m.id))
    ev = admin.call("eval_create", eval_create=pb.EvalCreateRequest(
        municipality=muni, framework=code, label="2026", period="2026-12")).eval_create.evaluation
    check("eval_create", ev.status == "draft", "status %r, expected draft" % ev.status)
    eid = ev.id
    say("eval_create", "evaluation %d, %s %s, status %s" % (eid, ev.municipality, ev.label,
                                                             ev.status))
    for key, (login, _, _) in users.items():
        step = "eval_assign " + key
        role = "lead" if key == "lead" else "peer"
        a = admin.call(step, eval_assign=pb.EvalAssignRequest(
            evaluation_id=eid, login=login, role=role)).eval_assign
        check(step, a.member.role == role, "assigned as %r" % a.member.role)
        say(step, "%s, version %d" % (login, a.version))

    # ---- updates and the snapshot (Clone: subscribe first, then snapshot)
    updates = subscribe(ctx, lead, args, ping, eid, admin)
    say("subscribe", "evaluation %d, pushed on a connection of the lead's session" % eid)
    try:
        return team_work(admin, lead, peer, users, updates, eid, areas, questions,
                         admin_password, timeout)
    finally:
        updates.close()


def team_work(admin, lead, peer, users, updates, eid, areas, questions, admin_password,
              timeout):
    lead_login, lead_pw = users["lead"][:2]
    peers = [k for k in users if k != "lead"]  # the first, "peer", approves and settles
    peer_logins = [users[k][0] for k in peers]
    snap = lead.call("eval_snapshot", eval_snapshot=pb.EvalSnapshotRequest(
        evaluation_id=eid)).eval_snapshot
    replica = Replica(snap)
    say("eval_snapshot", "version %d, status %s, %d scores, %d texts" % (
        snap.version, snap.status, len(snap.scores), len(snap.texts)))

    st = lead.call("eval_start", eval_start=pb.EvalStartRequest(evaluation_id=eid)).eval_start
    check("eval_start", st.status == "scoring", "status %r, expected scoring" % st.status)
    say("eval_start", "by the lead: status %s, version %d" % (st.status, st.version))

    # ---- scoring: every question, with versions
    for role in users:
        c = users[role][2]
        step = "score_set " + role
        pts = scores_for(questions, role)
        writes = [pb.ScoreWrite(question=q, points_centi=pts[q],
                                rationale="%s: %s efter intervjuer och dokument" % (role, q),
                                expected_version=0) for q, _ in questions]
        r = c.call(step, score_set=pb.ScoreSetRequest(evaluation_id=eid,
                                                      writes=writes)).score_set
        check(step, len(r.scores) == len(questions),
              "%d scores written, expected %d" % (len(r.scores), len(questions)))
        mine = {s.question: s for s in r.scores}
        # Change one score with the version it was written at...
        q0 = questions[0][0]
        new = pts[q0] + 100 if pts[q0] + 100 <= questions[0][1] else pts[q0] - 100
        r2 = c.call(step, score_set=pb.ScoreSetRequest(evaluation_id=eid, writes=[
            pb.ScoreWrite(question=q0, points_centi=new, rationale="omprövad",
                          expected_version=mine[q0].version)])).score_set
        check(step, r2.scores[0].points_centi == new, "rewrite not as sent")
        if role == "lead":
            retry_step(c, eid, c.last_id, q0, new, mine[q0].version, r2)
        # ...and once more with the old version: a stale write is a conflict
        r3 = c.call(step, expect=(pb.CONFLICT,), score_set=pb.ScoreSetRequest(
            evaluation_id=eid, writes=[pb.ScoreWrite(
                question=q0, points_centi=pts[q0], rationale="stale",
                expected_version=mine[q0].version)]))
        cur = [s for s in r3.score_set.scores if s.question == q0]
        check(step, cur and cur[0].points_centi == new,
              "CONFLICT did not return the current score")
        say(step, "%d questions, one rewritten at version %d, a stale write refused "
            "(CONFLICT)" % (len(questions), mine[q0].version))

    # the Clone pattern while scoring is blind: the peer's changes come hidden
    before = replica.version
    replica.actions = {}
    follow_changes(lead, replica, eid)
    hidden = [c for c in replica.hidden if c.actor in peer_logins]
    check("eval_changes blind", len(hidden) == 2 * len(peers) and all(
        not c.before and not c.after for c in hidden) and not any(
        c.actor == lead_login for c in replica.hidden),
        "expected the peers' score.set (two each) hidden, the lead's shown: hidden %s" % [
            (c.version, c.actor, c.action) for c in replica.hidden])
    say("eval_changes blind", "%d changes after version %d; the peers' %d score.set hidden, "
        "the lead's own shown" % (replica.applied, before, len(hidden)))
    # blind scoring: the lead sees only the lead's own scores
    sl = lead.call("score_list", score_list=pb.ScoreListRequest(evaluation_id=eid)).score_list
    seen = {s.evaluator for q in sl.questions for s in q.scores}
    check("score_list", sl.blind and seen == {lead_login},
          "blind %s, scores of %s visible to the lead" % (sl.blind, sorted(seen)))
    say("score_list", "blind: the lead sees only their own %d scores" %
        sum(len(q.scores) for q in sl.questions))

    # ---- submit
    order = list(users)
    for n, key in enumerate(order):
        step = "submit " + key
        sub = users[key][2].call(step, submit=pb.SubmitRequest(evaluation_id=eid)).submit
        left = sorted(users[k][0] for k in order[n + 1:])
        if left:
            check(step, sub.status == "scoring" and sorted(sub.waiting_for) == left,
                  "status %r, waiting for %s" % (sub.status, list(sub.waiting_for)))
            say(step, "status %s, waiting for %s" % (sub.status, ", ".join(sub.waiting_for)))
    check(step, sub.status == "consensus", "status %r" % sub.status)
    say(step, "status %s, major disagreements: %s" % (sub.status, ", ".join(sub.major)))
    check(step, len(sub.major) >= 1, "no major disagreement named")

    # ---- updates, changes (the Clone pattern)
    update_step(updates, lead, replica, eid, sub.version, timeout, set(peer_logins))

    # ---- consensus
    cs = lead.call("consensus_show", consensus_show=pb.ConsensusShowRequest(
        evaluation_id=eid)).consensus_show
    flags = {}
    for row in cs.rows:
        flags[row.flag] = flags.get(row.flag, 0) + 1
    check("consensus_show", len(cs.rows) == len(questions) and cs.resolved == 0,
          "%d rows, %d resolved" % (len(cs.rows), cs.resolved))
    say("consensus_show", "%d questions: %s; threshold %.0f %%" % (
        len(cs.rows), ", ".join("%d %s" % (n, f) for f, n in sorted(flags.items())),
        cs.major_spread_pct))

    auto = lead.call("consensus_auto", consensus_auto=pb.ConsensusAutoRequest(
        evaluation_id=eid, strategy="median")).consensus_auto
    check("consensus_auto", len(auto.set) + len(auto.skipped) == len(questions),
          "%d set + %d skipped != %d" % (len(auto.set), len(auto.skipped), len(questions)))
    say("consensus_auto", "median: %d set, %d skipped (%s)" % (
        len(auto.set), len(auto.skipped),
        "; ".join("%s: %s" % (s.question, s.why) for s in auto.skipped[:3])))

    cs = peer.call("consensus_set", consensus_show=pb.ConsensusShowRequest(
        evaluation_id=eid)).consensus_show
    n = 0
    for row in cs.rows:
        if row.has_consensus:
            continue
        pts = sorted(p.points_centi for p in row.points)
        value = row.proposed_centi if row.has_proposed else pts[len(pts) // 2]
        r = peer.call("consensus_set", consensus_set=pb.ConsensusSetRequest(
            evaluation_id=eid, question=row.question, points_centi=value,
            reason="enades vid konsensusmötet", expected_version=row.version)).consensus_set
        check("consensus_set", r.row.has_consensus and r.row.consensus_centi == value,
              "%s not set to %d" % (row.question, value))
        if n == 0:  # the lead, having seen the row unset, writes too late: CONFLICT
            late = lead.call("consensus_set", expect=(pb.CONFLICT,),
                             consensus_set=pb.ConsensusSetRequest(
                                 evaluation_id=eid, question=row.question,
                                 points_centi=pts[0], reason="för sent",
                                 expected_version=row.version)).consensus_set
            check("consensus_set", late.row.consensus_centi == value and
                  late.row.version == r.row.version,
                  "CONFLICT did not return the current row")
        n += 1
    cs = lead.call("consensus_set", consensus_show=pb.ConsensusShowRequest(
        evaluation_id=eid)).consensus_show
    check("consensus_set", cs.resolved == len(questions),
          "%d of %d questions resolved" % (cs.resolved, len(questions)))
    say("consensus_set", "%d set by the peer, a stale write by the lead refused (CONFLICT); "
        "%d of %d resolved" % (n, cs.resolved, len(questions)))

    # ---- texts: the lead writes every area's summary, the peer approves
    for area in areas:
        step = "text area %d" % area
        lk = lead.call(step, text_lock=pb.TextLockRequest(
            evaluation_id=eid, area=area, section="summary",
            op=pb.TextLockRequest.ACQUIRE)).text_lock
        # the peer cannot take it meanwhile
        other = peer.call(step, expect=(pb.LOCKED,), text_lock=pb.TextLockRequest(
            evaluation_id=eid, area=area, section="summary", op=pb.TextLockRequest.ACQUIRE))
        check(step, other.text_lock.lock.holder == lead_login,
              "LOCKED reply names %r" % other.text_lock.lock.holder)
        texts = lead.call(step, text_show=pb.TextShowRequest(evaluation_id=eid,
                                                             area=area)).text_show
        cur = [t for t in texts.texts if t.section == "summary"]
        seen_version = cur[0].version if cur else 0
        sv = lead.call(step, text_save=pb.TextSaveRequest(
            evaluation_id=eid, area=area, section="summary",
            summary="Område %d: kommunen arbetar strukturerat; se styrkor och "
                    "förbättringsmöjligheter." % area,
            expected_version=seen_version, lock_token=lk.token, release=True)).text_save
        # four eyes: the writer may not approve
        lead.call(step, expect=(pb.DENIED,), text_approve=pb.TextApproveRequest(
            evaluation_id=eid, area=area))
        ap = peer.call(step, text_approve=pb.TextApproveRequest(
            evaluation_id=eid, area=area)).text_approve
        say(step, "summary saved (version %d), the writer's approval DENIED, the peer's "
            "OK: %d of %d approved, status %s" % (sv.version, ap.approved_areas, ap.areas,
                                                 ap.status))
        if area == areas[0]:
            withdraw_step(lead, peer, eid, area, ap.approved_areas)
    check("text_approve", ap.status == "review", "status %r, expected review" % ap.status)

    es = admin.call("eval_status", eval_status=pb.EvalStatusRequest(
        evaluation_id=eid)).eval_status
    check("eval_status", es.status == "review", "status %r: %s" % (es.status,
                                                                  "; ".join(es.blocking)))
    say("eval_status", "%s, next %s, waiting for %s" % (es.status, es.next,
                                                       ", ".join(es.waiting_for)))

    # ---- sign: lead, peer, admin, each with the password again
    signers = [("sign lead", lead, lead_pw, "authored")] + [
        ("sign " + k, users[k][2], users[k][1], "reviewed") for k in peers] + [
        ("sign admin", admin, admin_password, "approved")]
    for step, c, pw, meaning in signers:
        sg = c.call(step, sign=pb.SignRequest(evaluation_id=eid, meaning=meaning,
                                              password=pw)).sign
        say(step, "%s as %s (%s), hash %s…, status %s" % (
            sg.signature.printed_name, sg.signature.capacity, sg.signature.meaning,
            sg.signature.content_hash[:12], sg.status))
    check("sign admin", sg.status == "signed", "status %r after the last signature" % sg.status)

    vf = peer.call("eval_verify", eval_verify=pb.EvalVerifyRequest(
        evaluation_id=eid)).eval_verify
    problems = [p for r in vf.revisions for p in r.problems] + (
        [vf.chain_problem] if vf.chain_problem else [])
    check("eval_verify", vf.ok and vf.chain_ok and vf.revisions and all(
        r.content_ok and r.signatures_ok and r.audit_ok and r.live_ok for r in vf.revisions),
        "not verified: %s" % "; ".join(problems))
    say("eval_verify", "ok: %d revision(s), %d signatures, chain of %d events" % (
        len(vf.revisions), len(vf.revisions[-1].signatures), vf.chain_events))

    # an auditor's own check: the content signed hashes to what was signed
    rv = peer.call("eval_revision", eval_revision=pb.EvalRevisionRequest(
        evaluation_id=eid, revision=1)).eval_revision
    h = hashlib.sha256(rv.content.encode("utf-8")).hexdigest()
    check("eval_revision", h == rv.content_hash == sg.signature.content_hash and all(
        x.content_hash == h for x in rv.signatures) and len(rv.signatures) == len(signers),
        "SHA-256 of the content %s, revision's %s, signature's %s" % (
            h, rv.content_hash, sg.signature.content_hash))
    # ...and holds what the team agreed: the consensus scores and the texts
    content = json.loads(rv.content)
    agreed = {r.question: r.consensus_centi for r in cs.rows}
    signed = {q: v["points_centi"] for q, v in content["scores"].items()}
    check("eval_revision", signed == agreed, "signed scores differ from the consensus: %s" %
          sorted(set(signed.items()) ^ set(agreed.items()))[:4])
    texts = lead.call("eval_revision", text_show=pb.TextShowRequest(
        evaluation_id=eid)).text_show
    written = {}
    for t in texts.texts:
        if t.version:
            written.setdefault(str(t.area), {})[t.section] = (
                t.summary if t.section == "summary" else list(t.items))
    check("eval_revision", content["texts"] == written,
          "signed texts differ from text_show's")
    say("eval_revision", "revision 1: %d bytes of content, SHA-256 recomputed here = the "
        "%d signatures' hash; it holds the %d consensus scores and the %d texts written" % (
            len(rv.content.encode("utf-8")), len(signers), len(signed),
            sum(len(v) for v in written.values())))

    audit_step(lead, admin, eid, vf.chain_events)

    # the updates of the whole run, once more
    updates.poll(500)
    check("updates", updates.wait_for(sg.version, timeout),
          "no update for version %d" % sg.version)
    got = {u.version for u in updates.received}
    missing = sorted(set(range(snap.version + 1, sg.version + 1)) - got)
    check("updates", not missing, "no update for versions %s" % missing[:10])
    acts = sorted({u.action for u in updates.received})
    say("updates", "%d received in all, every version %d to %d (%s)" % (
        len(updates.received), snap.version + 1, sg.version, ", ".join(acts)))
    return 0


def retry_step(c, eid, request_id, question, points, seen_version, first):
    """The same write again with the same request_id, as after a lost answer:
    the server answers with the first answer and writes nothing (README,
    "Retries"); the same id for another writing RPC is BAD_REQUEST."""
    step = "retry"
    again = c.call(step, request_id=request_id, score_set=pb.ScoreSetRequest(
        evaluation_id=eid, writes=[pb.ScoreWrite(
            question=question, points_centi=points, rationale="omprövad",
            expected_version=seen_version)])).score_set
    check(step, again == first, "the retry's answer differs from the first: %s" % again)
    sl = c.call(step, score_list=pb.ScoreListRequest(evaluation_id=eid)).score_list
    check(step, sl.version == first.version,
          "version %d after the retry, %d before" % (sl.version, first.version))
    # a read with that id is simply done; another writing RPC is refused
    c.call(step, request_id=request_id, score_list=pb.ScoreListRequest(evaluation_id=eid))
    c.call(step, expect=(pb.BAD_REQUEST,), request_id=request_id,
           comment_add=pb.CommentAddRequest(evaluation_id=eid, question=question, text="x"))
    say(step, "score_set sent again with its request_id: the first answer (version %d), "
        "nothing written; the id for score_list: done, for comment_add: BAD_REQUEST" %
        first.version)


def withdraw_step(writer, approver, eid, area, approved):
    """A save after the approval withdraws it (four eyes); the other approves
    again. The change appears in eval_changes as text.approval_withdrawn."""
    step = "text withdraw %d" % area
    lk = writer.call(step, text_lock=pb.TextLockRequest(
        evaluation_id=eid, area=area, section="strengths",
        op=pb.TextLockRequest.ACQUIRE)).text_lock
    before = writer.call(step, text_show=pb.TextShowRequest(
        evaluation_id=eid, area=area)).text_show
    cur = [t for t in before.texts if t.section == "strengths"]
    sv = writer.call(step, text_save=pb.TextSaveRequest(
        evaluation_id=eid, area=area, section="strengths",
        items=["Tydlig plan för demokratiutveckling", "Öppna nämndsammanträden"],
        expected_version=cur[0].version if cur else 0, lock_token=lk.token,
        release=True)).text_save
    st = writer.call(step, eval_status=pb.EvalStatusRequest(evaluation_id=eid)).eval_status
    check(step, st.approved_areas == approved - 1,
          "%d areas approved after the save, expected %d" % (st.approved_areas, approved - 1))
    ch = writer.call(step, eval_changes=pb.EvalChangesRequest(
        evaluation_id=eid, since_version=sv.version - 1)).eval_changes
    acts = [c.action for c in ch.changes if c.version == sv.version]
    check(step, "text.approval_withdrawn" in acts, "changes at version %d: %s" % (
        sv.version, acts))
    ap = approver.call(step, text_approve=pb.TextApproveRequest(
        evaluation_id=eid, area=area)).text_approve
    check(step, ap.approved_areas == approved, "%d approved after approving again" %
          ap.approved_areas)
    say(step, "strengths saved at version %d withdrew the approval (%s); approved again" % (
        sv.version, " + ".join(acts)))


def canonical_hash(e):
    """SHA-256 of an audit event's canonical form (docs/audit.md, "The hash")."""
    at = datetime.datetime.fromtimestamp(e.at_us // 1000000, datetime.timezone.utc)
    fields = {
        "action": e.action, "actor": e.actor, "actor_id": e.actor_id, "after": e.after,
        "at": at.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (e.at_us % 1000000),
        "before": e.before, "client_addr": e.client_addr, "client_key": e.client_key,
        "eval_version": e.eval_version, "evaluation_id": e.evaluation_id,
        "prev_hash": e.prev_hash, "real_actor": e.real_actor,
        "real_actor_id": e.real_actor_id, "reason": e.reason, "seq": e.seq,
        "target": e.target, "v": 1}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def audit_step(reader, admin, eid, expected_events):
    """Reads the evaluation's audit chain a page at a time, as an export
    would, checks it without Kompass (seq, links, hashes), and compares its
    head with the server's audit_verify."""
    events, after, pages = [], 0, 0
    while True:
        r = reader.call("audit_list", audit_list=pb.AuditListRequest(
            evaluation_id=eid, after_seq=after, limit=10)).audit_list
        pages += 1
        events.extend(r.events)
        if not r.more:
            break
        check("audit_list", r.events, "more set on an empty page")
        after = r.events[-1].seq
    check("audit_list", len(events) == expected_events,
          "%d events, eval_verify counted %d" % (len(events), expected_events))
    prev = "0" * 64
    for i, e in enumerate(events):
        check("audit check", e.seq == i + 1, "seq %d at place %d" % (e.seq, i + 1))
        check("audit check", e.prev_hash == prev, "seq %d: link broken" % e.seq)
        h = canonical_hash(e)
        check("audit check", h == e.hash, "seq %d (%s): hash %s, recomputed %s" % (
            e.seq, e.action, e.hash, h))
        prev = e.hash
    say("audit_list", "%d events in %d pages of at most 10; seq, links and every hash "
        "recomputed here: OK (%s)" % (len(events), pages,
                                      ", ".join(sorted({e.action for e in events}))))
    v = admin.call("audit_verify", audit_verify=pb.AuditVerifyRequest(
        evaluation_id=eid)).audit_verify
    ch = [c for c in v.chains if c.evaluation_id == eid]
    check("audit_verify", v.ok and ch and ch[0].ok and ch[0].head_seq == events[-1].seq
          and ch[0].head_hash == events[-1].hash,
          "server's head %s does not match the export's %d %s" % (
              ch and (ch[0].head_seq, ch[0].head_hash, ch[0].problem), events[-1].seq,
              events[-1].hash))
    say("audit_verify", "chain OK, head #%d %s… = the export's last event" % (
        ch[0].head_seq, ch[0].head_hash[:12]))


def update_step(updates, c, replica, eid, version, timeout, hidden_owners):
    """Waits for an update up to `version`, then applies eval_changes after the
    replica's version and checks the copy against a fresh snapshot."""
    check("updates", updates.wait_for(version, timeout),
          "no update with version >= %d within %d ms (got %d)" % (
              version, timeout, len(updates.received)))
    say("updates", "%d received, latest version %d (%s)" % (
        len(updates.received), updates.received[-1].version, updates.received[-1].action))
    since, applied = replica.version, replica.applied
    replica.actions = {}
    current = follow_changes(c, replica, eid)
    snap = c.call("eval_changes", eval_snapshot=pb.EvalSnapshotRequest(
        evaluation_id=eid)).eval_snapshot
    fresh = {(s.question, s.evaluator): s.points_centi for s in snap.scores}
    check("eval_changes", replica.version == current == snap.version,
          "copy at version %d, changes at %d, snapshot at %d" % (replica.version, current,
                                                                 snap.version))
    # What the copy lacks must be exactly what was hidden from it: once blind
    # scoring has ended, a new snapshot shows it (eval_changes too, now).
    diff = set(fresh.items()) ^ set(replica.scores.items())
    check("eval_changes", all(k[1] in hidden_owners and (k, p) in fresh.items()
                              for k, p in diff) and (len(diff) > 0) == bool(replica.hidden),
          "copy from snapshot + changes differs from a new snapshot beyond the hidden "
          "scores: %s" % sorted(diff)[:4])
    say("eval_changes", "%d changes after version %d applied (%s); the copy matches a new "
        "snapshot but for the %d scores hidden while blind, now in the snapshot" % (
            replica.applied - applied, since, ", ".join(
                "%s %d" % kv for kv in sorted(replica.actions.items())), len(diff)))
    replica.rebase(snap)


def main():
    global pb
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint")
    ap.add_argument("server_key")
    ap.add_argument("--admin", default="admin", help="the administrator's login")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per answer")
    ap.add_argument("--peers", type=int, default=1, choices=range(1, 6),
                    help="peer evaluators beside the lead (teams of three occur)")
    args = ap.parse_args()
    admin_password = sys.stdin.readline().rstrip("\n")

    with tempfile.TemporaryDirectory(prefix="kompass-py-") as workdir:
        pb = load_protocol(workdir)
        ctx = zmq.Context()
        try:
            rc = run(args, ctx, admin_password)
        except StepFailed as e:
            print("FAILED: %s" % e, flush=True)
            print(str(e), file=sys.stderr)
            rc = 1
        finally:
            ctx.term()
    if rc == 0:
        print("evaluation: every step succeeded")
    return rc


if __name__ == "__main__":
    sys.exit(main())
