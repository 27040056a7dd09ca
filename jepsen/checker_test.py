#!/usr/bin/env python3
"""Unit tests of jepsen/checker.py on hand-made run directories (no cluster): each anomaly the
checker claims to find is planted once, and a clean history must pass."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402

NODES = {"n1": "10.77.0.1:10911", "n2": "10.77.0.2:10911", "n3": "10.77.0.3:10911"}
T0 = 1_700_000_000_000


class Run:
    """A clean run: producer p0 sends 4 values to queue 0 (acked by n1 in term 2), a consumer
    reads them, every node drains them, one fault is healed and followed by an ack."""

    def __init__(self, mode="sync"):
        self.mode = mode
        self.history = []
        self.samples = []
        self.nemesis = []
        self.drains = {n: [] for n in NODES}
        self.final_leader = "n1"
        for i in range(4):
            self.send("p0-%d" % i, 0, i, time=T0 + 1000 * i)
            self.read("c0", 0, i, "p0-%d" % i, time=T0 + 1000 * i + 10)
        for n in NODES:
            for i in range(4):
                self.drains[n].append({"type": "drain", "node": n, "queue": 0, "offset": i, "value": "p0-%d" % i})
            self.drains[n].append({"type": "drain-end", "node": n, "queue": 0, "end": 4, "count": 4})
        for k, n in enumerate(NODES):
            self.samples.append({"type": "sample", "node": n, "time": T0 + k, "role": "leader" if n == "n1" else
                                 "follower", "term": 2, "commit": 5, "last": 5})
        self.nemesis.append({"event": "fault-start", "id": 1, "fault": "kill-follower", "targets": ["n3"],
                             "lossy_nodes": 0, "time": T0 + 500})
        self.nemesis.append({"event": "fault-heal", "id": 1, "fault": "kill-follower", "all_healed": True,
                             "time": T0 + 1500})

    def send(self, value, queue, offset, kind="ok", node="n1", term=2, time=T0):
        p = value.split("-")[0]
        self.history.append({"type": "invoke", "f": "send", "process": p, "queue": queue, "value": value,
                             "time": time})
        r = {"type": kind, "f": "send", "process": p, "queue": queue, "value": value, "time": time + 5}
        if kind == "ok":
            r.update(offset=offset, term=term, index=offset + 1, node=NODES[node])
        else:
            r["error"] = "broker answered code 14: not the leader"
        self.history.append(r)

    def read(self, process, queue, offset, value, time=T0):
        self.history.append({"type": "ok", "f": "read", "process": process, "queue": queue, "offset": offset,
                             "value": value, "node": NODES["n1"], "time": time})

    def write(self, d):
        def dump(name, recs):
            with open(os.path.join(d, name), "w") as f:
                for r in recs:
                    f.write(json.dumps(r) + "\n")

        with open(os.path.join(d, "cluster.json"), "w") as f:
            json.dump({"mode": self.mode, "nodes": NODES, "final_leader": self.final_leader, "profile": "test",
                       "seed": 0, "net": "none"}, f)
        dump("history.jsonl", self.history)
        dump("samples.jsonl", self.samples)
        dump("nemesis.jsonl", self.nemesis)
        for n, recs in self.drains.items():
            dump("drain-%s.jsonl" % n, recs)


class CheckerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rmqj-checker-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, run):
        run.write(self.dir)
        return checker.check(self.dir)

    def assertOnly(self, res, **counts):
        """The run fails, with exactly these failing counts."""
        for k, v in counts.items():
            self.assertEqual(res.counts.get(k), v, "%s in %s" % (k, res.summary))
        self.assertEqual(res.verdict, "FAIL", res.summary)

    def test_clean_run_passes(self):
        res = self.check(Run())
        self.assertEqual(res.verdict, "PASS", "\n".join(res.lines))
        self.assertIn("verdict=PASS", res.summary)
        self.assertEqual(res.counts["acked"], 4)
        self.assertEqual(res.counts["max_leaders_per_term"], 1)

    def test_acknowledged_but_missing_is_lost(self):
        r = Run()
        r.send("p1-0", 1, 0, time=T0 + 100)
        self.assertOnly(self.check(r), lost=1)

    def test_value_nobody_sent_is_unexpected(self):
        r = Run()
        for n in NODES:
            r.drains[n].insert(0, {"type": "drain", "node": n, "queue": 2, "offset": 0, "value": "p9-9"})
        self.assertOnly(self.check(r), unexpected=1)

    def test_value_twice_in_the_log_is_duplicated(self):
        r = Run()
        for n in NODES:
            r.drains[n].insert(0, {"type": "drain", "node": n, "queue": 0, "offset": 4, "value": "p0-3"})
        self.assertOnly(self.check(r), duplicated=1)

    def test_failed_send_that_is_read_is_an_aborted_read(self):
        r = Run()
        r.send("p2-0", 2, 0, kind="fail")
        r.read("c2", 2, 0, "p2-0")
        for n in NODES:
            r.drains[n].append({"type": "drain", "node": n, "queue": 2, "offset": 0, "value": "p2-0"})
        self.assertOnly(self.check(r), aborted_reads=1)

    def test_indeterminate_send_may_or_may_not_appear(self):
        r = Run()
        r.send("p3-0", 3, 0, kind="info")
        r.send("p3-1", 3, 0, kind="info")
        for n in NODES:
            r.drains[n].append({"type": "drain", "node": n, "queue": 3, "offset": 0, "value": "p3-1"})
        res = self.check(r)
        self.assertEqual(res.verdict, "PASS", res.summary)
        self.assertEqual(res.counts["indeterminate"], 2)

    def test_two_values_at_one_offset(self):
        r = Run()
        r.read("c0b", 0, 1, "p0-2")  # another consumer saw a different value at q0/1
        res = self.check(r)
        self.assertGreaterEqual(res.counts["inconsistent_offsets"], 1)
        self.assertEqual(res.verdict, "FAIL")

    def test_ack_naming_another_offset(self):
        r = Run()
        r.history[1]["offset"] = 7
        res = self.check(r)
        self.assertGreaterEqual(res.counts["inconsistent_offsets"], 1)
        self.assertEqual(res.verdict, "FAIL")

    def test_producer_order_in_the_log(self):
        r = Run()
        for n in NODES:
            recs = [x for x in r.drains[n] if x["type"] == "drain"]
            recs[1]["value"], recs[2]["value"] = recs[2]["value"], recs[1]["value"]
        res = self.check(r)
        self.assertGreaterEqual(res.counts["order"], 1)
        self.assertEqual(res.verdict, "FAIL")

    def test_consumer_skip_and_backwards(self):
        r = Run()
        r.read("c0", 0, 6, "p0-3")  # after offset 3: skips 4 and 5 (and the slot is inconsistent)
        r.read("c0", 0, 2, "p0-2")  # then goes back
        res = self.check(r)
        self.assertEqual(res.counts["consumer_skips"], 1)
        self.assertEqual(res.counts["consumer_backwards"], 1)
        self.assertEqual(res.verdict, "FAIL")

    def test_two_leaders_in_one_term(self):
        r = Run()
        r.samples.append({"type": "sample", "node": "n2", "time": T0 + 50, "role": "leader", "term": 2,
                          "commit": 5, "last": 5})
        self.assertOnly(self.check(r), multi_leader_terms=1, max_leaders_per_term=2)

    def test_ack_from_another_node_in_the_same_term(self):
        r = Run()
        r.send("p1-0", 1, 0, node="n2", term=2)
        for n in NODES:
            r.drains[n].append({"type": "drain", "node": n, "queue": 1, "offset": 0, "value": "p1-0"})
        self.assertOnly(self.check(r), multi_leader_terms=1)

    def test_term_going_back(self):
        r = Run()
        r.samples.append({"type": "sample", "node": "n3", "time": T0 + 60, "role": "follower", "term": 1,
                          "commit": 5, "last": 5})
        self.assertOnly(self.check(r), term_regressions=1)

    def test_commit_going_back_is_allowed_only_across_a_restart(self):
        r = Run()
        r.samples.append({"type": "sample", "node": "n3", "time": T0 + 60, "role": "follower", "term": 2,
                          "commit": 3, "last": 5})
        self.assertOnly(self.check(r), commit_regressions=1)
        r = Run()
        r.nemesis.append({"event": "node-start", "node": "n3", "time": T0 + 55})
        r.samples.append({"type": "sample", "node": "n3", "time": T0 + 60, "role": "follower", "term": 2,
                          "commit": 3, "last": 5})
        self.assertEqual(self.check(r).verdict, "PASS")

    def test_replicas_that_differ(self):
        r = Run()
        r.drains["n3"][2]["value"] = "p0-9"
        res = self.check(r)
        self.assertEqual(res.counts["replica_divergence"], 1)
        self.assertEqual(res.verdict, "FAIL")

    def test_no_ack_within_10s_of_a_heal(self):
        r = Run()
        r.nemesis.append({"event": "fault-start", "id": 2, "fault": "kill-all", "targets": [], "lossy_nodes": 0,
                          "time": T0 + 4000})
        r.nemesis.append({"event": "fault-heal", "id": 2, "fault": "kill-all", "all_healed": True,
                          "time": T0 + 5000})
        r.send("p1-0", 1, 0, time=T0 + 16000)
        for n in NODES:
            r.drains[n].append({"type": "drain", "node": n, "queue": 1, "offset": 0, "value": "p1-0"})
        self.assertOnly(self.check(r), slow_recoveries=1)

    def test_async_flush_excuses_loss_only_after_a_majority_lost_unsynced_writes(self):
        def lossy(mode, lossy_nodes):
            r = Run(mode)
            r.send("p1-0", 1, 0, time=T0 + 100)  # acked, then lost
            r.nemesis.append({"event": "fault-start", "id": 3, "fault": "crash-lazyfs", "targets": ["n1", "n2"],
                              "lossy_nodes": lossy_nodes, "time": T0 + 200})
            r.nemesis.append({"event": "fault-heal", "id": 3, "fault": "crash-lazyfs", "all_healed": True,
                              "time": T0 + 300})
            return self.check(r)

        res = lossy("async", 2)
        self.assertEqual(res.verdict, "PASS", res.summary)
        self.assertIn("expected_async_loss=1", res.summary)
        self.assertEqual(lossy("async", 1).verdict, "FAIL")  # a minority never excuses a loss
        self.assertEqual(lossy("sync", 2).verdict, "FAIL")  # sync flush never does

    def test_missing_final_drain_fails(self):
        r = Run()
        r.drains["n1"] = []
        self.assertEqual(self.check(r).verdict, "FAIL")


if __name__ == "__main__":
    unittest.main(verbosity=1)
