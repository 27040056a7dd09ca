#!/usr/bin/env python3
"""The jepsen/ checker: reads one run directory and judges it. Independent of the broker's code:
it knows only the JSON lines the workload client, the sampler and the harness wrote.

    python3 jepsen/checker.py RUN_DIR        # prints the tables and the final `jepsen:` line;
                                             # exit 0 PASS, 1 FAIL, 2 unusable input

Files of a run directory:
  cluster.json          mode (sync|async), nodes (node -> client address), final_leader, ...
  history.jsonl         workload: send invoke/ok/fail/info, consumer reads, read-move events
  samples.jsonl         sampler: role/term/commit/last of each node every ~200 ms
  nemesis.jsonl         harness: fault start/heal, node start/kill
  drain-<node>.jsonl    every queue read from offset 0 from that node after the run

What is checked (each count must be 0 for PASS):
  lost                  acknowledged sends missing from the final drain (of the final leader)
  vanished              values a consumer read that the final drain does not hold
  unexpected            values read that no producer ever sent
  duplicated            a value stored at two (queue, offset) positions
  aborted_reads         values of definitely failed sends that were read
  inconsistent_offsets  one (queue, offset) seen with two values, or an ack naming another
                        position than the one the value is stored at
  order                 a producer's values in one queue out of its send order
  consumer_backwards / consumer_skips
                        a consumer that went back, or jumped over offsets
  multi_leader_terms    terms with more than one leader (samples and acks)
  term_regressions      a node's term going down (ever); commit_regressions: its commit index
                        going down without a restart in between
  replica_divergence    queues whose contents differ between nodes (committed prefixes: every
                        replica must be a prefix of the longest; a shorter one is only behind)
  replicas_behind       (info) replicas holding a consistent prefix, e.g. a node halted on a full disk
  slow_recoveries       heals after which no send succeeded within 10 s
In async-flush mode a fault that destroyed unsynced writes on a majority of nodes (lossy_nodes
>= 2) makes lost/vanished/inconsistent_offsets/order/consumer anomalies expected: they are reported as
"(expected: async flush)" and do not fail the run. Sync-flush mode never excuses them.

Classic master/slave runs (cluster.json "layout": "ha", "role": SYNC_MASTER|ASYNC_MASTER, "master",
"slaves"; or --role) are judged per role (jepsen/README.md, "The ha profile"): no leader, term or
commit checks; the master's final drain is the final read; a SYNC_MASTER's SLAVE_NOT_AVAILABLE (11)
and FLUSH_SLAVE_TIMEOUT (12) answers are indeterminate sends the broker says it stored, and
  degraded_lost         11/12 values missing from the master's final drain
  acked_not_on_slave    SYNC_MASTER: values acknowledged before a kill -9 of the master that no
                        slave held while the master was down (nemesis.jsonl "slave-drain" events
                        name those drains; ASYNC_MASTER: reported as unreplicated_at_kill, the
                        slave's lag at the crash, not a failure)
  replica_divergence    a slave's queue (final, or drained while the master was down) that is
                        not a prefix of the master's final queue
  slave_behind          a slave's final queue shorter than the master's after the catch-up
  offset_regressions    a node's commit log end going down within one process lifetime
"""

import hashlib
import json
import os
import re
import sys
from collections import defaultdict

RECOVERY_LIMIT_MS = 10_000
VALUE_RE = re.compile(r"^p(\d+)-(\d+)$")


def read_jsonl(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a torn last line of a killed writer
    return out


class Result:
    def __init__(self):
        self.counts = {}
        self.expected = set()  # count names excused by the mode
        self.lines = []  # report lines
        self.examples = defaultdict(list)
        self.notes = []  # lines printed after the checks
        self.verdict = "FAIL"
        self.summary = ""

    def example(self, key, text):
        if len(self.examples[key]) < 5:
            self.examples[key].append(text)


def table(headers, rows):
    widths = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(str(c)))
    fmt = "  ".join("%%-%ds" % w for w in widths)
    out = [fmt % tuple(headers), fmt % tuple("-" * w for w in widths)]
    out += [fmt % tuple(str(c) for c in r) for r in rows]
    return out


HA_ROLES = ("SYNC_MASTER", "ASYNC_MASTER")


def digest(items):
    return hashlib.sha256("".join("%d:%s\n" % iv for iv in items).encode()).hexdigest()[:12]


def check(run_dir, role=None):
    """role: SYNC_MASTER | ASYNC_MASTER judges a classic master/slave run by that role (default:
    cluster.json's "role" when its "layout" is "ha")."""
    res = Result()
    try:
        with open(os.path.join(run_dir, "cluster.json")) as f:
            cluster = json.load(f)
    except (OSError, ValueError) as e:
        res.lines.append("checker: cannot read cluster.json: %s" % e)
        res.counts["unusable"] = 1
        res.summary = "jepsen: unusable run directory %s verdict=FAIL" % run_dir
        return res
    mode = cluster.get("mode", "?")
    nodes = cluster.get("nodes", {})
    addr_to_node = {a: n for n, a in nodes.items()}
    history = read_jsonl(os.path.join(run_dir, "history.jsonl"))
    samples = read_jsonl(os.path.join(run_dir, "samples.jsonl"))
    nemesis = read_jsonl(os.path.join(run_dir, "nemesis.jsonl"))
    drains = {n: read_jsonl(os.path.join(run_dir, "drain-%s.jsonl" % n)) for n in nodes}
    final_leader = cluster.get("final_leader")
    c = res.counts
    role = role or cluster.get("role")
    ha = cluster.get("layout") == "ha" or role in HA_ROLES
    if ha and role not in HA_ROLES:
        res.lines.append("checker: a classic master/slave run needs a role (%s), got %r" % ("|".join(HA_ROLES), role))
        res.counts["unusable"] = 1
        res.summary = "jepsen: unusable run directory %s verdict=FAIL" % run_dir
        return res
    master = cluster.get("master", final_leader) if ha else None
    slaves = list(cluster.get("slaves", [n for n in nodes if n != master])) if ha else []
    if ha:
        final_leader = master

    # ---- sends ----
    sends = {}  # value -> {"invoke": rec, "result": rec}
    for r in history:
        if r.get("f") != "send":
            continue
        v = r.get("value")
        s = sends.setdefault(v, {"invoke": None, "result": None, "invokes": 0})
        if r["type"] == "invoke":
            s["invokes"] += 1
            s["invoke"] = r
        else:
            s["result"] = r
    ok = {v: s["result"] for v, s in sends.items() if s["result"] and s["result"]["type"] == "ok"}
    failed = {v for v, s in sends.items() if s["result"] and s["result"]["type"] == "fail"}
    info = {v for v, s in sends.items() if not s["result"] or s["result"]["type"] == "info"}
    c["ops"] = sum(s["invokes"] for s in sends.values())
    c["acked"] = len(ok)
    c["failed"] = len(failed)
    c["indeterminate"] = len(info)
    # SYNC_MASTER's degraded answers: stored on the master, not known to be on a slave
    degraded = {v: s["result"] for v, s in sends.items()
                if s["result"] and s["result"]["type"] == "info" and s["result"].get("code") in (11, 12)}
    if ha:
        c["slave_not_available"] = sum(1 for r in degraded.values() if r["code"] == 11)
        c["flush_slave_timeout"] = sum(1 for r in degraded.values() if r["code"] == 12)
    reused = [v for v, s in sends.items() if s["invokes"] > 1]
    c["reused_values"] = len(reused)  # a workload bug, never the broker's

    # ---- observations: (source, queue, offset, value) ----
    reads = [r for r in history if r.get("f") == "read" and r.get("type") == "ok"]
    observed = []  # (source, queue, offset, value)
    for r in reads:
        observed.append(("read", r["queue"], r["offset"], r["value"]))
    drain_pos = {}  # node -> {(q, off): value}
    drain_ends = {}  # node -> {q: end}
    drain_errors = []
    for n, recs in drains.items():
        pos = {}
        ends = {}
        for r in recs:
            if r.get("type") == "drain":
                pos[(r["queue"], r["offset"])] = r["value"]
                observed.append(("drain-" + n, r["queue"], r["offset"], r["value"]))
            elif r.get("type") == "drain-end":
                ends[r["queue"]] = r.get("end", 0)
                if r.get("error"):
                    drain_errors.append("%s queue %s: %s" % (n, r["queue"], r["error"]))
        if recs:
            drain_pos[n] = pos
            drain_ends[n] = ends
    # ha: every slave drained while the master was down (kill-master), by fault id
    slave_drains = defaultdict(dict)  # fault id -> node -> {(q, off): value}
    for e in nemesis:
        if e.get("event") == "slave-drain":
            pos = {}
            for r in read_jsonl(os.path.join(run_dir, e["file"])):
                if r.get("type") == "drain":
                    pos[(r["queue"], r["offset"])] = r["value"]
                    observed.append(("drain-%s-f%s" % (e["node"], e["id"]), r["queue"], r["offset"], r["value"]))
                elif r.get("type") == "drain-end" and r.get("error"):
                    drain_errors.append("%s (fault %s) queue %s: %s" % (e["node"], e["id"], r["queue"], r["error"]))
            slave_drains[e["id"]][e["node"]] = pos
    final = drain_pos.get(final_leader)
    if final is None:
        c["final_drain_missing"] = 1
        res.lines.append("checker: no final drain from the final leader %s" % final_leader)
        final = {}
    final_by_value = defaultdict(set)
    for (q, off), v in final.items():
        final_by_value[v].add((q, off))

    # lost: acknowledged, not in the final drain
    lost = sorted(v for v in ok if v not in final_by_value)
    c["lost"] = len(lost)
    for v in lost:
        r = ok[v]
        res.example("lost", "%s acked at q%s/%s term %s by %s at %s" % (
            v, r.get("queue"), r.get("offset"), r.get("term"), addr_to_node.get(r.get("node"), r.get("node")),
            r.get("time")))
    if ha:
        gone = sorted(v for v in degraded if v not in final_by_value)
        c["degraded_lost"] = len(gone)
        for v in gone:
            r = degraded[v]
            res.example("degraded_lost", "%s answered code %s at %s (stored on the master, said the broker)" % (
                v, r.get("code"), r.get("time")))
    vanished = sorted({r["value"] for r in reads if r["value"] not in final_by_value})
    c["vanished"] = len(vanished)
    for v in vanished:
        res.example("vanished", v)

    # unexpected: never sent (or not even a workload value)
    seen_values = {o[3] for o in observed}
    unexpected = sorted(v for v in seen_values if v not in sends)
    c["unexpected"] = len(unexpected)
    for v in unexpected:
        res.example("unexpected", v)

    # duplicated: one value at two positions within one source
    by_source = defaultdict(lambda: defaultdict(set))
    for src, q, off, v in observed:
        by_source["read" if src == "read" else src][v].add((q, off))
    dup_values = set()
    for src, m in by_source.items():
        for v, ps in m.items():
            if len(ps) > 1:
                if v not in dup_values:
                    res.example("duplicated", "%s at %s (%s)" % (v, sorted(ps), src))
                dup_values.add(v)
    c["duplicated"] = len(dup_values)

    # aborted reads: a definitely failed send that is visible
    aborted = sorted(v for v in seen_values if v in failed)
    c["aborted_reads"] = len(aborted)
    for v in aborted:
        res.example("aborted_reads", "%s: %s" % (v, sends[v]["result"].get("error")))

    # inconsistent offsets
    slots = defaultdict(set)
    for src, q, off, v in observed:
        slots[(q, off)].add(v)
    for v, r in ok.items():
        slots[(r["queue"], r["offset"])].add(v)
    bad_slots = {k: vs for k, vs in slots.items() if len(vs) > 1}
    for k, vs in sorted(bad_slots.items())[:5]:
        res.example("inconsistent_offsets", "q%s/%s holds %s" % (k[0], k[1], sorted(vs)))
    moved = 0
    for v, r in ok.items():
        ps = final_by_value.get(v)
        if ps and (r["queue"], r["offset"]) not in ps:
            moved += 1
            res.example("inconsistent_offsets", "%s acked at q%s/%s, stored at %s" % (v, r["queue"], r["offset"], sorted(ps)))
    c["inconsistent_offsets"] = len(bad_slots) + moved

    # per-producer order per queue: acks, then the final drain
    order = 0
    per = defaultdict(list)  # (producer, queue) -> [(seq, offset)] of acks
    for v, r in ok.items():
        m = VALUE_RE.match(v or "")
        if m:
            per[(m.group(1), r["queue"])].append((int(m.group(2)), r["offset"]))
    for key, lst in per.items():
        lst.sort()
        for a, b in zip(lst, lst[1:]):
            if b[1] <= a[1]:
                order += 1
                res.example("order", "producer p%s queue %s: seq %d at %d, seq %d at %d (acks)" % (key[0], key[1], a[0], a[1], b[0], b[1]))
    per_drain = defaultdict(list)
    for (q, off), v in sorted(final.items()):
        m = VALUE_RE.match(v or "")
        if m:
            per_drain[(m.group(1), q)].append((off, int(m.group(2))))
    for key, lst in per_drain.items():
        for a, b in zip(lst, lst[1:]):
            if b[1] <= a[1]:
                order += 1
                res.example("order", "producer p%s queue %s: seq %d after seq %d in the log" % (key[0], key[1], b[1], a[1]))
    c["order"] = order

    # consumers: every read is the previous one + 1; any move by the broker is suspect
    back = skip = 0
    prev = {}
    for r in history:
        if r.get("f") == "read" and r.get("type") == "ok":
            p = r["process"]
            last = prev.get(p, -1)
            if r["offset"] <= last:
                back += 1
                res.example("consumer", "%s read q%s/%d after %d" % (p, r["queue"], r["offset"], last))
            elif r["offset"] > last + 1:
                skip += 1
                res.example("consumer", "%s skipped q%s %d..%d" % (p, r["queue"], last + 1, r["offset"] - 1))
            prev[p] = r["offset"]
        elif r.get("f") == "read-move":
            p = r["process"]
            if r["to"] < r["from"]:
                back += 1
                res.example("consumer", "%s moved back q%s %d -> %d (code %s)" % (p, r["queue"], r["from"], r["to"], r.get("code")))
            else:
                skip += 1
                res.example("consumer", "%s moved forward q%s %d -> %d (code %s)" % (p, r["queue"], r["from"], r["to"], r.get("code")))
            prev[p] = r["to"] - 1
    c["consumer_backwards"] = back
    c["consumer_skips"] = skip

    # leaders per term (samples and acks)
    leaders = defaultdict(set)
    for s in samples:
        if s.get("role") == "leader":
            leaders[s["term"]].add(s["node"])
    for v, r in ok.items():
        if r.get("term"):
            leaders[r["term"]].add(addr_to_node.get(r.get("node"), r.get("node")))
    multi = {t: ns for t, ns in leaders.items() if len(ns) > 1}
    c["multi_leader_terms"] = len(multi)
    c["max_leaders_per_term"] = max((len(ns) for ns in leaders.values()), default=0)
    for t, ns in sorted(multi.items())[:5]:
        res.example("multi_leader_terms", "term %s: %s" % (t, sorted(ns)))

    # term / commit monotonic per node (commit only within one process lifetime)
    starts = defaultdict(list)
    for e in nemesis:
        if e.get("event") == "node-start":
            starts[e["node"]].append(e["time"])
    term_reg = commit_reg = 0
    last_term = {}
    last_commit = {}
    for s in samples:
        if "term" not in s:
            continue
        n = s["node"]
        if s["term"] < last_term.get(n, 0):
            term_reg += 1
            res.example("term_regressions", "%s term %d after %d at %s" % (n, s["term"], last_term[n], s["time"]))
        last_term[n] = max(last_term.get(n, 0), s["term"])
        inc = sum(1 for t in starts[n] if t <= s["time"])
        key = (n, inc)
        if s["commit"] < last_commit.get(key, 0):
            commit_reg += 1
            res.example("commit_regressions", "%s commit %d after %d at %s" % (n, s["commit"], last_commit[key], s["time"]))
        last_commit[key] = max(last_commit.get(key, 0), s["commit"])
    c["term_regressions"] = term_reg
    c["commit_regressions"] = commit_reg

    # replicas: the same values at the same offsets on every node
    divergence = 0
    behind = 0
    digest_rows = []
    digest_headers = None
    if ha:
        digest_headers, digest_rows, divergence = ha_replicas(res, c, master, slaves, drain_pos, drain_ends,
                                                              slave_drains, ok, nemesis, samples, role)
    queues = sorted({q for pos in drain_pos.values() for (q, _) in pos} | {q for e in drain_ends.values() for q in e})
    for q in ([] if ha else queues):
        row = ["q%s" % q]
        seqs = {}
        for n in sorted(drain_pos):
            items = sorted((off, v) for (qq, off), v in drain_pos[n].items() if qq == q)
            seqs[n] = items
            row.append("%d %s" % (len(items), digest(items)))
        # Committed prefixes must agree: every replica's queue is a prefix of the longest one. A
        # replica that is only shorter is behind (e.g. it halted on a full disk), not divergent.
        ref = max(seqs.values(), key=len, default=[])
        same = all(s == ref for s in seqs.values())
        diverged = False
        for n, s in seqs.items():
            if s == ref[:len(s)]:
                if len(s) < len(ref):
                    behind += 1
                    res.example("replicas_behind", "q%s: %s holds %d of %d items (a consistent prefix)" % (
                        q, n, len(s), len(ref)))
                continue
            diverged = True
            diff = next((i for i, (a, b) in enumerate(zip(s, ref)) if a != b), min(len(s), len(ref)))
            res.example("replica_divergence", "q%s: %s differs from the longest replica at item %d (%d vs %d items)" % (
                q, n, diff, len(s), len(ref)))
        if diverged:
            divergence += 1
        row.append("yes" if same else ("behind" if not diverged else "NO"))
        digest_rows.append(row)
    c["replica_divergence"] = divergence
    if not ha:
        c["replicas_behind"] = behind
    missing_drains = sorted(set(nodes) - set(drain_pos))
    c["missing_drains"] = len(missing_drains)

    # recovery after each heal: a send must succeed within 10 s
    ok_times = sorted(r["time"] for r in ok.values())
    fault_rows = []
    slow = 0
    max_recovery = 0
    starts_by_id = {}
    for e in nemesis:
        if e.get("event") == "fault-start":
            starts_by_id[e["id"]] = e
        elif e.get("event") == "fault-heal":
            st = starts_by_id.get(e["id"], {})
            t0, th = st.get("time", e["time"]), e["time"]
            first_after_start = next((t for t in ok_times if t >= t0), None)
            first_after_heal = next((t for t in ok_times if t >= th), None)
            rec = None if first_after_heal is None else first_after_heal - th
            window = [t for t in ok_times if t0 <= t <= (first_after_heal or th)]
            gaps = [b - a for a, b in zip([t0] + window, window)]
            acked_during = sum(1 for t in ok_times if t0 <= t < th)
            until = first_after_heal or th
            deg = [r["code"] for r in degraded.values() if t0 <= r["time"] <= until]
            failed_during = sum(1 for v in failed if t0 <= (sends[v]["result"] or {}).get("time", 0) <= until)
            checked = e.get("all_healed", True)
            if checked:
                if rec is None or rec > RECOVERY_LIMIT_MS:
                    slow += 1
                    res.example("slow_recoveries", "%s healed at %d: %s" % (
                        e.get("fault"), th, "no ack after" if rec is None else "first ack after %d ms" % rec))
                if rec is not None:
                    max_recovery = max(max_recovery, rec)
            fault_rows.append([
                e.get("fault"), " ".join(st.get("targets", [])), "%.1f" % ((th - t0) / 1000.0),
                "-" if first_after_start is None else "%.2f" % ((first_after_start - t0) / 1000.0),
                "%.2f" % (max(gaps) / 1000.0) if gaps else "-",
                "none" if rec is None else "%.2f" % (rec / 1000.0) + ("" if checked else " (not checked)"),
                acked_during,
            ] + ([failed_during, "%d/%d" % (deg.count(11), deg.count(12))] if ha else []))
    c["slow_recoveries"] = slow
    c["max_recovery_ms"] = max_recovery

    # async flush: losses after a majority lost its unsynced writes are the mode's documented risk
    lossy_majority = any(e.get("event") == "fault-start" and e.get("lossy_nodes", 0) * 2 > len(nodes)
                         for e in nemesis)
    lossy_master = ha and any(e.get("event") == "fault-start" and e.get("lossy_nodes", 0) > 0 and
                              master in e.get("targets", []) for e in nemesis)
    if (mode == "async" and lossy_majority) or (role == "ASYNC_MASTER" and cluster.get("flush") == "async" and
                                                  lossy_master):
        # (a lost tail's queue offsets are handed out again: acks reuse offsets and consumers are
        # moved back)
        res.expected |= {"lost", "vanished", "inconsistent_offsets", "order", "consumer_backwards",
                         "consumer_skips", "replica_divergence"}

    failing = ["lost", "vanished", "unexpected", "duplicated", "aborted_reads", "inconsistent_offsets", "order",
               "consumer_backwards", "consumer_skips", "multi_leader_terms", "term_regressions",
               "commit_regressions", "replica_divergence", "slow_recoveries", "final_drain_missing",
               "missing_drains", "reused_values"]
    if ha:
        failing = [k for k in failing if k not in ("multi_leader_terms", "term_regressions", "commit_regressions")]
        failing[1:1] = ["degraded_lost"]
        failing += (["acked_not_on_slave"] if role == "SYNC_MASTER" else []) + ["slave_behind", "offset_regressions"]
    bad = [k for k in failing if c.get(k, 0) > 0 and k not in res.expected]
    if c["ops"] == 0 or c["acked"] == 0:
        bad.append("no_acks")
    res.verdict = "FAIL" if bad else "PASS"

    # ---- report ----
    L = res.lines
    if ha:
        L.append("== run %s: mode=%s role=%s %s-flush master=%s slaves=%s profile=%s seed=%s net=%s" % (
            os.path.basename(os.path.normpath(run_dir)), mode, role, cluster.get("flush", "?"), master,
            ",".join(slaves), cluster.get("profile"), cluster.get("seed"), cluster.get("net")))
    else:
        L.append("== run %s: mode=%s-flush profile=%s seed=%s net=%s%s" % (
            os.path.basename(os.path.normpath(run_dir)), mode, cluster.get("profile"), cluster.get("seed"),
            cluster.get("net"), " BROKEN-BUILD(testOnlyAckBeforeCommit)" if cluster.get("broken") else ""))
    if fault_rows:
        L.append("")
        L += table(["fault", "targets", "held s", "1st ack s", "max gap s", "recovery s", "acks during"] +
                   (["failed during", "11/12 during"] if ha else []), fault_rows)
    if digest_rows:
        L.append("")
        L += table(digest_headers or (["queue"] + ["%s (items sha256)" % n for n in sorted(drain_pos)] + ["same"]),
                   digest_rows)
    L.append("")
    rows = []
    for k in ["ops", "acked", "failed", "indeterminate"] + (
            ["slave_not_available", "flush_slave_timeout"] +
            (["unreplicated_at_kill"] if role == "ASYNC_MASTER" else []) + ["max_slave_lag_bytes"] if ha else []):
        rows.append([k, c.get(k, 0), "info" if k in ("unreplicated_at_kill", "max_slave_lag_bytes") else ""])
    if not ha and c.get("replicas_behind"):
        rows.append(["replicas_behind", c["replicas_behind"], "info: a consistent prefix (a halted node)"])
    for k in failing + ([] if ha else ["max_leaders_per_term"]) + ["max_recovery_ms"]:
        if k in ("final_drain_missing", "missing_drains", "reused_values") and not c.get(k):
            continue
        v = c.get(k, 0)
        status = "" if k in ("max_leaders_per_term", "max_recovery_ms") else (
            "ok" if v == 0 else (("expected: ASYNC_MASTER lost unsynced data" if ha else "expected: async flush")
                                 if k in res.expected else "FAIL"))
        if k == "max_leaders_per_term":
            status = "ok" if v <= 1 else "FAIL"
        if k == "max_recovery_ms":
            status = "ok" if v <= RECOVERY_LIMIT_MS else "FAIL"
        rows.append([k, v, status])
    L += table(["check", "count", "status"], rows)
    if drain_errors:
        L.append("drain errors: " + "; ".join(drain_errors[:5]))
    for k, exs in res.examples.items():
        for x in exs:
            L.append("  %s: %s" % (k, x))
    L += res.notes
    keys = ["ops", "acked", "failed", "indeterminate", "lost", "unexpected", "duplicated", "aborted_reads",
            "inconsistent_offsets", "order", "consumer_backwards", "consumer_skips", "vanished",
            "max_leaders_per_term", "term_regressions", "commit_regressions", "replica_divergence",
            "slow_recoveries", "max_recovery_ms"]
    if ha:
        keys = ["ops", "acked", "failed", "indeterminate", "slave_not_available", "flush_slave_timeout", "lost",
                "degraded_lost", "unexpected", "duplicated", "aborted_reads", "inconsistent_offsets", "order",
                "consumer_backwards", "consumer_skips", "vanished", "acked_not_on_slave", "unreplicated_at_kill",
                "replica_divergence", "slave_behind", "offset_regressions", "max_slave_lag_bytes",
                "slow_recoveries", "max_recovery_ms"]
    res.summary = "jepsen: mode=%s %s%s%s verdict=%s" % (
        mode, "role=%s " % role if ha else "", " ".join("%s=%s" % (k, c.get(k, 0)) for k in keys),
        " expected_async_loss=%d" % c.get("lost", 0) if "lost" in res.expected else "", res.verdict)
    return res


def ha_replicas(res, c, master, slaves, drain_pos, drain_ends, slave_drains, ok, nemesis, samples, role):
    """Classic master/slave: each slave's queues against the master's final ones (a prefix; equal
    after the catch-up), the slaves drained while the master was down (a prefix; for a
    SYNC_MASTER holding every value acknowledged before the kill), the slaves' lag (samples) and
    log ends going down. Returns (table headers, rows, divergence count)."""

    def queue_items(pos, q):
        return sorted((off, v) for (qq, off), v in pos.items() if qq == q)

    mpos = drain_pos.get(master, {})
    queues = sorted({q for pos in drain_pos.values() for (q, _) in pos} | {q for e in drain_ends.values() for q in e})
    divergence = behind = 0
    rows = []
    for q in queues:
        m = queue_items(mpos, q)
        row = ["q%s" % q, "%d %s" % (len(m), digest(m))]
        for n in slaves:
            s = queue_items(drain_pos.get(n, {}), q)
            # the digest of the master's first len(s) items against the slave's: the common prefix
            if s == m:
                verdict = "equal"
            elif len(s) < len(m) and m[:len(s)] == s:
                verdict = "prefix, %d behind" % (len(m) - len(s))
                behind += 1
                res.example("slave_behind", "q%s: %s holds %d of the master's %d items" % (q, n, len(s), len(m)))
            else:
                verdict = "DIVERGED"
                divergence += 1
                at = next((i for i, (a, b) in enumerate(zip(s, m)) if a != b), min(len(s), len(m)))
                res.example("replica_divergence", "q%s: %s differs from the master %s at item %d (%d vs %d items)" % (
                    q, n, master, at, len(s), len(m)))
            row += ["%d %s" % (len(s), digest(s)), "%s %s" % (digest(m[:len(s)]), verdict)]
        rows.append(row)
    headers = ["queue", "%s (items sha256)" % master]
    for n in slaves:
        headers += ["%s (items sha256)" % n, "%s's first as many, vs %s" % (master, n)]

    # while the master was down (kill-master): each slave holds a prefix of the master's final
    # queues, and (SYNC_MASTER) together every value acknowledged before the kill
    starts = {e["id"]: e for e in nemesis if e.get("event") == "fault-start"}
    not_on_slave = unreplicated = 0
    for fid, per_node in sorted(slave_drains.items()):
        for n, pos in per_node.items():
            for q in queues:
                s = queue_items(pos, q)
                m = queue_items(mpos, q)
                if m[:len(s)] != s:
                    divergence += 1
                    res.example("replica_divergence", "q%s: %s while the master was down (fault %s) is not a prefix "
                                "of the master's final queue" % (q, n, fid))
        t_kill = starts.get(fid, {}).get("time", 0)
        held = set()
        for pos in per_node.values():
            held |= set(pos.values())
        missing = sorted(v for v, r in ok.items() if r["time"] < t_kill and v not in held)
        if role == "SYNC_MASTER":
            not_on_slave += len(missing)
            for v in missing:
                res.example("acked_not_on_slave", "%s acked at %s, killed at %s: on no slave (%s)" % (
                    v, ok[v]["time"], t_kill, ",".join(sorted(per_node))))
        else:
            unreplicated += len(missing)
            lag = [s.get("lag", -1) for s in samples if s.get("node") == master and s.get("time", 0) < t_kill
                   and "lag" in s]
            res.notes.append("  %s (fault %s): %d acknowledged value(s) on no slave while the master was down; "
                             "the master's last sampled slave lag %s bytes" % (
                                 starts.get(fid, {}).get("fault", "kill-master"), fid, len(missing),
                                 lag[-1] if lag else "?"))
    if slave_drains == {} and role == "SYNC_MASTER":
        res.notes.append("  no slave was drained while the master was down (no kill-master fault)")
    c["acked_not_on_slave"] = not_on_slave
    c["unreplicated_at_kill"] = unreplicated
    c["slave_behind"] = behind

    # samples: the largest lag a master reported; log ends going down within one process lifetime
    c["max_slave_lag_bytes"] = max((s.get("lag", 0) for s in samples if s.get("node") == master), default=0)
    node_starts = defaultdict(list)
    for e in nemesis:
        if e.get("event") == "node-start":
            node_starts[e["node"]].append(e["time"])
    last_max = {}
    regressions = 0
    for s in samples:
        if "max" not in s:
            continue
        n = s["node"]
        key = (n, sum(1 for t in node_starts[n] if t <= s["time"]))
        if s["max"] < last_max.get(key, 0):
            regressions += 1
            res.example("offset_regressions", "%s log end %d after %d at %s" % (n, s["max"], last_max[key], s["time"]))
        last_max[key] = max(last_max.get(key, 0), s["max"])
    c["offset_regressions"] = regressions
    return headers, rows, divergence


def main(argv):
    role = None
    if len(argv) == 4 and argv[2] == "--role":
        role = argv[3]
        argv = argv[:2]
    if len(argv) != 2:
        sys.stderr.write("usage: checker.py RUN_DIR [--role SYNC_MASTER|ASYNC_MASTER]\n")
        return 2
    res = check(argv[1], role)
    print("\n".join(res.lines))
    print(res.summary)
    if "unusable" in res.counts:
        return 2
    return 0 if res.verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
