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
  replica_divergence    queues whose contents differ between nodes (committed prefixes)
  slow_recoveries       heals after which no send succeeded within 10 s
In async-flush mode a fault that destroyed unsynced writes on a majority of nodes (lossy_nodes
>= 2) makes lost/vanished/inconsistent_offsets/order/consumer anomalies expected: they are reported as
"(expected: async flush)" and do not fail the run. Sync-flush mode never excuses them.
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


def check(run_dir):
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
    digest_rows = []
    queues = sorted({q for pos in drain_pos.values() for (q, _) in pos} | {q for e in drain_ends.values() for q in e})
    for q in queues:
        row = ["q%s" % q]
        seqs = {}
        for n in sorted(drain_pos):
            items = sorted((off, v) for (qq, off), v in drain_pos[n].items() if qq == q)
            seqs[n] = items
            h = hashlib.sha256("".join("%d:%s\n" % iv for iv in items).encode()).hexdigest()[:12]
            row.append("%d %s" % (len(items), h))
        ref = seqs.get(final_leader) or next(iter(seqs.values()), [])
        same = all(s == ref for s in seqs.values())
        if not same:
            divergence += 1
            for n, s in seqs.items():
                if s != ref:
                    diff = next((i for i, (a, b) in enumerate(zip(s, ref)) if a != b), min(len(s), len(ref)))
                    res.example("replica_divergence", "q%s: %s differs from %s at item %d (%d vs %d items)" % (
                        q, n, final_leader, diff, len(s), len(ref)))
        row.append("yes" if same else "NO")
        digest_rows.append(row)
    c["replica_divergence"] = divergence
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
            ])
    c["slow_recoveries"] = slow
    c["max_recovery_ms"] = max_recovery

    # async flush: losses after a majority lost its unsynced writes are the mode's documented risk
    lossy_majority = any(e.get("event") == "fault-start" and e.get("lossy_nodes", 0) * 2 > len(nodes)
                         for e in nemesis)
    if mode == "async" and lossy_majority:
        # (a lost tail's queue offsets are handed out again: acks reuse offsets and consumers are
        # moved back)
        res.expected |= {"lost", "vanished", "inconsistent_offsets", "order", "consumer_backwards",
                         "consumer_skips", "replica_divergence"}

    failing = ["lost", "vanished", "unexpected", "duplicated", "aborted_reads", "inconsistent_offsets", "order",
               "consumer_backwards", "consumer_skips", "multi_leader_terms", "term_regressions",
               "commit_regressions", "replica_divergence", "slow_recoveries", "final_drain_missing",
               "missing_drains", "reused_values"]
    bad = [k for k in failing if c.get(k, 0) > 0 and k not in res.expected]
    if c["ops"] == 0 or c["acked"] == 0:
        bad.append("no_acks")
    res.verdict = "FAIL" if bad else "PASS"

    # ---- report ----
    L = res.lines
    L.append("== run %s: mode=%s-flush profile=%s seed=%s net=%s%s" % (
        os.path.basename(os.path.normpath(run_dir)), mode, cluster.get("profile"), cluster.get("seed"),
        cluster.get("net"), " BROKEN-BUILD(testOnlyAckBeforeCommit)" if cluster.get("broken") else ""))
    if fault_rows:
        L.append("")
        L += table(["fault", "targets", "held s", "1st ack s", "max gap s", "recovery s", "acks during"], fault_rows)
    if digest_rows:
        L.append("")
        L += table(["queue"] + ["%s (items sha256)" % n for n in sorted(drain_pos)] + ["same"], digest_rows)
    L.append("")
    rows = []
    for k in ["ops", "acked", "failed", "indeterminate"]:
        rows.append([k, c.get(k, 0), ""])
    for k in failing + ["max_leaders_per_term", "max_recovery_ms"]:
        if k in ("final_drain_missing", "missing_drains", "reused_values") and not c.get(k):
            continue
        v = c.get(k, 0)
        status = "" if k in ("max_leaders_per_term", "max_recovery_ms") else (
            "ok" if v == 0 else ("expected: async flush" if k in res.expected else "FAIL"))
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
    keys = ["ops", "acked", "failed", "indeterminate", "lost", "unexpected", "duplicated", "aborted_reads",
            "inconsistent_offsets", "order", "consumer_backwards", "consumer_skips", "vanished",
            "max_leaders_per_term", "term_regressions", "commit_regressions", "replica_divergence",
            "slow_recoveries", "max_recovery_ms"]
    res.summary = "jepsen: mode=%s %s%s verdict=%s" % (
        mode, " ".join("%s=%s" % (k, c.get(k, 0)) for k in keys),
        " expected_async_loss=%d" % c.get("lost", 0) if "lost" in res.expected else "", res.verdict)
    return res


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: checker.py RUN_DIR\n")
        return 2
    res = check(argv[1])
    print("\n".join(res.lines))
    print(res.summary)
    if "unusable" in res.counts:
        return 2
    return 0 if res.verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
