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


class Base(unittest.TestCase):
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


class CheckerTest(Base):
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

    def test_a_replica_holding_a_shorter_consistent_prefix_is_behind_not_divergent(self):
        r = Run()  # e.g. a node that halted on a full disk: its queue stops early
        r.drains["n3"] = [x for x in r.drains["n3"] if not (x["type"] == "drain" and x["offset"] >= 2)]
        res = self.check(r)
        self.assertEqual(res.counts["replica_divergence"], 0)
        self.assertEqual(res.counts["replicas_behind"], 1)
        self.assertEqual(res.verdict, "PASS")

    def test_a_shorter_replica_that_differs_inside_its_prefix_diverges(self):
        r = Run()
        r.drains["n3"] = [x for x in r.drains["n3"] if not (x["type"] == "drain" and x["offset"] >= 2)]
        r.drains["n3"][1]["value"] = "p0-9"
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


HA_NODES = {"m": "10.77.0.1:10911", "s1": "10.77.0.2:10911"}


class HaRun:
    """A clean classic master/slave run: p0 sends 4 values to queue 0 (acked by the master), a
    consumer reads them, the master is killed after the first 3 acks (the slave, drained while it
    is down, holds those 3), and master and slave hold all 4 at the end."""

    def __init__(self, role="SYNC_MASTER"):
        self.role = role
        self.history = []
        self.samples = []
        self.nemesis = []
        self.drains = {"m": [], "s1": []}
        self.mid = []  # the slave's drain during fault 1
        for i in range(4):
            self.send("p0-%d" % i, 0, i, time=T0 + 1000 * i)
            self.read("c0", 0, i, "p0-%d" % i, time=T0 + 1000 * i + 10)
            for n in self.drains:
                self.drains[n].append({"type": "drain", "node": n, "queue": 0, "offset": i, "value": "p0-%d" % i})
            if i < 3:
                self.mid.append({"type": "drain", "node": "s1", "queue": 0, "offset": i, "value": "p0-%d" % i})
        for n in self.drains:
            self.drains[n].append({"type": "drain-end", "node": n, "queue": 0, "end": 4, "count": 4})
        self.mid.append({"type": "drain-end", "node": "s1", "queue": 0, "end": 3, "count": 3})
        self.samples.append({"type": "sample", "node": "m", "time": T0 + 1, "role": role, "max": 100, "lag": 0})
        self.samples.append({"type": "sample", "node": "s1", "time": T0 + 2, "role": "SLAVE", "max": 100, "lag": 0})
        self.nemesis += [
            {"event": "fault-start", "id": 1, "fault": "kill-master", "targets": ["m"], "lossy_nodes": 0,
             "time": T0 + 2500},
            {"event": "slave-drain", "id": 1, "node": "s1", "file": "drain-s1-f1.jsonl", "time": T0 + 2600},
            {"event": "node-start", "node": "m", "time": T0 + 2900},
            {"event": "fault-heal", "id": 1, "fault": "kill-master", "all_healed": True, "time": T0 + 2900},
        ]

    def send(self, value, queue, offset, kind="ok", time=T0, code=None):
        p = value.split("-")[0]
        self.history.append({"type": "invoke", "f": "send", "process": p, "queue": queue, "value": value,
                             "time": time})
        r = {"type": kind, "f": "send", "process": p, "queue": queue, "value": value, "time": time + 5}
        if kind == "ok":
            r.update(offset=offset, term=0, index=0, node=HA_NODES["m"])
        elif code is not None:
            r.update(code=code, error="broker %s answered code %d: ..." % (HA_NODES["m"], code))
        else:
            r["error"] = "connect to %s failed" % HA_NODES["m"]
        self.history.append(r)

    def read(self, process, queue, offset, value, time=T0):
        self.history.append({"type": "ok", "f": "read", "process": process, "queue": queue, "offset": offset,
                             "value": value, "node": HA_NODES["m"], "time": time})

    def store(self, queue, offset, value, nodes=("m", "s1")):
        for n in nodes:
            self.drains[n].insert(0, {"type": "drain", "node": n, "queue": queue, "offset": offset, "value": value})

    def write(self, d, role_in_cluster_json=True):
        def dump(name, recs):
            with open(os.path.join(d, name), "w") as f:
                for r in recs:
                    f.write(json.dumps(r) + "\n")

        info = {"mode": self.role.lower(), "nodes": HA_NODES, "final_leader": "m", "profile": "test", "seed": 0,
                "net": "none", "layout": "ha", "master": "m", "slaves": ["s1"],
                "flush": "sync" if self.role == "SYNC_MASTER" else "async"}
        if role_in_cluster_json:
            info["role"] = self.role
        with open(os.path.join(d, "cluster.json"), "w") as f:
            json.dump(info, f)
        dump("history.jsonl", self.history)
        dump("samples.jsonl", self.samples)
        dump("nemesis.jsonl", self.nemesis)
        dump("drain-s1-f1.jsonl", self.mid)
        for n, recs in self.drains.items():
            dump("drain-%s.jsonl" % n, recs)


class HaCheckerTest(Base):
    def check(self, run, role=None):
        run.write(self.dir, role_in_cluster_json=role is None)
        return checker.check(self.dir, role)

    def test_clean_run_passes_in_both_roles(self):
        for role in checker.HA_ROLES:
            res = self.check(HaRun(role))
            self.assertEqual(res.verdict, "PASS", "\n".join(res.lines))
            self.assertIn("role=%s" % role, res.summary)
            self.assertNotIn("max_leaders_per_term", res.summary)  # no Raft checks here
            self.assertEqual(res.counts["acked_not_on_slave"], 0)

    def test_acknowledged_but_missing_is_lost_in_both_roles(self):
        for role in checker.HA_ROLES:  # kill -9 keeps the page cache: ASYNC_MASTER loses nothing either
            r = HaRun(role)
            r.send("p1-0", 1, 0, time=T0 + 3500)
            self.assertOnly(self.check(r), lost=1)

    def test_degraded_answers_are_indeterminate_but_must_be_stored(self):
        r = HaRun()
        r.send("p1-0", 1, 0, kind="info", code=11, time=T0 + 3100)
        r.send("p1-1", 1, 1, kind="info", code=12, time=T0 + 3200)
        r.store(1, 0, "p1-0")
        r.store(1, 1, "p1-1")
        r.read("c1", 1, 0, "p1-0")  # visible: not an aborted read
        res = self.check(r)
        self.assertEqual(res.verdict, "PASS", "\n".join(res.lines))
        self.assertEqual((res.counts["slave_not_available"], res.counts["flush_slave_timeout"]), (1, 1))
        self.assertEqual(res.counts["aborted_reads"], 0)
        r = HaRun()
        r.send("p1-0", 1, 0, kind="info", code=12, time=T0 + 3100)  # "stored", but nowhere
        self.assertOnly(self.check(r), degraded_lost=1)

    def test_a_failed_send_to_a_dead_master_must_not_appear(self):
        r = HaRun()
        r.send("p1-0", 1, 0, kind="fail", time=T0 + 2700)
        res = self.check(r)
        self.assertEqual(res.verdict, "PASS", res.summary)  # failing while the master is down is expected
        r.store(1, 0, "p1-0")
        self.assertOnly(self.check(r), aborted_reads=1)

    def test_sync_ack_missing_on_the_slave_while_the_master_is_down(self):
        r = HaRun("SYNC_MASTER")
        r.mid.pop(2)  # p0-2 was acknowledged before the kill, the slave does not have it
        self.assertOnly(self.check(r), acked_not_on_slave=1)
        r = HaRun("ASYNC_MASTER")  # the lag an ASYNC_MASTER may have: reported, not a failure
        r.mid.pop(2)
        res = self.check(r)
        self.assertEqual(res.verdict, "PASS", res.summary)
        self.assertEqual(res.counts["unreplicated_at_kill"], 1)

    def test_role_flag_overrides(self):
        r = HaRun("SYNC_MASTER")
        r.mid.pop(2)
        self.assertEqual(self.check(r, role="ASYNC_MASTER").verdict, "PASS")
        self.assertEqual(self.check(r, role="SYNC_MASTER").verdict, "FAIL")

    def test_slave_behind_after_the_catch_up(self):
        r = HaRun()
        r.drains["s1"] = [x for x in r.drains["s1"] if x.get("offset") != 3]
        self.assertOnly(self.check(r), slave_behind=1)

    def test_slave_that_is_not_a_prefix_of_the_master(self):
        r = HaRun()
        r.drains["s1"][1]["value"] = "p0-9"
        res = self.check(r)
        self.assertEqual(res.counts["replica_divergence"], 1)
        self.assertEqual(res.verdict, "FAIL")
        r = HaRun()
        r.mid[0]["value"], r.mid[1]["value"] = r.mid[1]["value"], r.mid[0]["value"]
        res = self.check(r)
        self.assertGreaterEqual(res.counts["replica_divergence"], 1)
        self.assertEqual(res.verdict, "FAIL")

    def test_log_end_going_back_within_a_lifetime(self):
        r = HaRun()
        r.samples.append({"type": "sample", "node": "m", "time": T0 + 50, "role": "SYNC_MASTER", "max": 90})
        self.assertOnly(self.check(r), offset_regressions=1)
        r = HaRun()  # after the restart (node-start at T0+2900) a smaller end is a new lifetime
        r.samples.append({"type": "sample", "node": "m", "time": T0 + 3000, "role": "SYNC_MASTER", "max": 90})
        self.assertEqual(self.check(r).verdict, "PASS")

    def test_slow_recovery_after_the_master_restart(self):
        r = HaRun()
        r.nemesis[-1]["time"] = T0 + 2900
        r.history = [x for x in r.history if x.get("value") != "p0-3"]
        r.drains = {n: [x for x in recs if x.get("value") != "p0-3"] for n, recs in r.drains.items()}
        r.send("p1-0", 1, 0, time=T0 + 14000)
        r.store(1, 0, "p1-0")
        self.assertOnly(self.check(r), slow_recoveries=1)

    def test_unknown_role_is_unusable(self):
        res = self.check(HaRun(), role="SLAVE")
        self.assertIn("unusable", res.counts)


if __name__ == "__main__":
    unittest.main(verbosity=1)
