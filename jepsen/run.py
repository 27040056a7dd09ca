#!/usr/bin/python3
"""jepsen/run.py: raftmq's own fault-injection harness (jepsen/README.md).

    jepsen/run.py --profile short                 # every fault kind once, sync and async flush
    jepsen/run.py --profile soak --duration 600 --seed 42
    jepsen/run.py --profile broken --expect-fail  # a broker that acks before commit must FAIL
    jepsen/run.py --cleanup                       # remove what a crashed run left behind
    jepsen/run.py --check jepsen/out/<run>/sync   # only the checker, on a recorded run
    jepsen/run.py --attach run/                   # against the cluster of scripts/cluster start
    jepsen/run.py --profile ha                    # classic master/slave: SYNC_MASTER, then ASYNC_MASTER

Runs as root (network namespaces, nft, mounts). Binaries come from --bin-dir, $RMQ_BIN_DIR, or
build/release. Each mode writes a run directory under --out-dir (history.jsonl, samples.jsonl,
nemesis.jsonl, drain-*.jsonl, node logs); the checker's table and a final `jepsen: ...
verdict=PASS|FAIL` line are printed for each mode. Exit 0 when every mode passed (with
--expect-fail: when every mode failed and lost acknowledged messages).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import checker  # noqa: E402
import cluster as cl  # noqa: E402
import nemesis as nm  # noqa: E402

ROOT = os.path.dirname(HERE)
RECOVERY_WAIT_S = 15  # how long the harness waits for an ack after a heal (the check is 10 s)

PROFILES = {
    # every fault kind once per mode, fixed order from the seed
    "short": dict(modes=["sync", "async"], hold=7.0, quiet=1.5, producers=4, rate=12.0),
    # a mixed random schedule for --duration seconds per mode
    "soak": dict(modes=["sync", "async"], hold=None, quiet=None, producers=4, rate=15.0),
    # the broken build (testOnlyAckBeforeCommit=true): the checker must catch it
    "broken": dict(modes=["sync"], hold=6.0, quiet=1.5, producers=4, rate=15.0),
    # classic master/slave: SYNC_MASTER + SYNC_FLUSH, then ASYNC_MASTER + ASYNC_FLUSH
    "ha": dict(modes=["sync_master", "async_master"], hold=5.0, quiet=1.0, producers=4, rate=12.0),
}
HA_MODES = {"sync_master": ("SYNC_MASTER", "sync"), "async_master": ("ASYNC_MASTER", "async")}


class HistoryTail:
    """Follows history.jsonl: the time of each acknowledged send."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.buf = ""
        self.ok_times = []
        self.ops = 0

    def poll(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
                self.pos = f.tell()
        except OSError:
            return
        self.buf += data
        *lines, self.buf = self.buf.split("\n")
        for line in lines:
            if '"f":"send"' not in line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("type") == "ok":
                self.ok_times.append(r["time"])
            elif r.get("type") == "invoke":
                self.ops += 1

    def ok_after(self, t_ms):
        self.poll()
        return any(t >= t_ms for t in self.ok_times[-2000:])


class Harness:
    def __init__(self, args, mode, run_dir, net_mode):
        self._init_common(args, mode, run_dir)
        self.nodes = ["n1", "n2", "n3"]
        perm = self.rng.sample(self.nodes, 3)
        self.fuse_node, self.disk_node, self.skew_node = perm
        # --lazyfs-nodes N: the crash-lazyfs fault takes N nodes down at once (N >= 2 is a majority:
        # then async flush may lose acknowledged messages, and the checker expects it).
        self.fuse_nodes = perm[: max(1, min(3, args.lazyfs_nodes))]
        self.attached = bool(args.attach)
        if self.attached:
            self.cluster = cl.AttachedCluster(ROOT, args.attach, args.bin_dir, self.log)
            ports = dict(self.cluster.raft_ports, ns=self.cluster.namesrv_port)
            self.net = cl.Net(self.nodes, "attach", ports)
            self.fuse_ok = False
            self.topic = "jepsen_%s" % time.strftime("%Y%m%d_%H%M%S")  # the cluster keeps older runs' topics
        else:
            self.net = cl.Net(self.nodes, net_mode)
            self.fuse_ok = nm.fuse_available()
            extra = ["testOnlyAckBeforeCommit=true"] if args.profile == "broken" else []
            self.cluster = cl.Cluster(args.bin_dir, run_dir, self.net, mode, self.log, extra,
                                      faketime_node=self.skew_node)

    def _init_common(self, args, mode, run_dir):
        """What every profile's harness holds; the subclass then sets nodes, net and cluster."""
        self.args = args
        self.mode = mode
        self.run_dir = run_dir
        self.profile = PROFILES[args.profile]
        self.rng = random.Random("%s-%s" % (args.seed, mode))
        self.t0 = time.time()
        os.makedirs(run_dir, exist_ok=True)
        self.topic = "jepsen"
        self.events = open(os.path.join(run_dir, "nemesis.jsonl"), "a")
        self.lazyfs = {}  # node -> LazyMount
        self.tmpfs = None
        self.workload = None
        self.tail = HistoryTail(os.path.join(run_dir, "history.jsonl"))
        self.fault_seq = 0
        self.active = []
        self.workload_extra = []

    # ---- logging / events ----
    def log(self, msg):
        print("[%s %6.1fs] %s" % (self.mode, time.time() - self.t0, msg), flush=True)

    def event(self, **kw):
        kw["time"] = int(time.time() * 1000)
        self.events.write(json.dumps(kw) + "\n")
        self.events.flush()
        return kw["time"]

    # ---- cluster helpers used by the nemeses ----
    def live_nodes(self):
        return [n for n in self.nodes if self.cluster.alive(n) and n not in self.cluster.paused]

    def current_leader(self):
        return self.cluster.leader()

    def ensure_started(self, n):
        if self.cluster.alive(n):
            return
        self.event(event="node-start", node=n)
        self.cluster.start_node(n)

    # ---- setup / teardown ----
    def setup(self):
        if self.attached:
            self.log("attached to %s (namesrv %s): faults %s" % (
                self.cluster.cluster_dir, self.cluster.namesrv_addr(), ",".join(k.name for k in self.fault_kinds())))
            lead = self.cluster.wait_leader(30)
            if lead is None:
                raise RuntimeError("the attached cluster has no serving leader (scripts/cluster status)")
            return
        self.net.setup()
        self.cluster.write_configs()
        if self.fuse_ok:
            for n in self.fuse_nodes:
                self.lazyfs[n] = nm.LazyMount(os.path.join(self.cluster.node_dir(n), "lazyfs-backing"),
                                              self.cluster.data_dir(n),
                                              os.path.join(self.cluster.node_dir(n), "lazyfs.log"), self.log)
                self.lazyfs[n].mount()
        if self.disk_node not in self.lazyfs:
            self.tmpfs = nm.SmallTmpfs(os.path.join(self.cluster.data_dir(self.disk_node), "dledger", "data"), 16)
            self.tmpfs.mount()
        self.cluster.fix_owners()
        self.log("net=%s, lazyfs node(s)=%s%s, disk-full node=%s, clock-skew node=%s" % (
            self.net.mode, ",".join(self.fuse_nodes),
            "" if self.fuse_ok else " (FUSE unavailable: crash-lazyfs skipped)",
            "%s (16 MiB tmpfs)" % self.disk_node if self.tmpfs else "none (on lazyfs: disk-full skipped)",
            self.skew_node))
        self.cluster.start_namesrv()
        for n in self.nodes:
            self.ensure_started(n)
        lead = self.cluster.wait_leader(60)
        if lead is None:
            raise RuntimeError("no leader within 60 s (logs in %s)" % self.run_dir)
        self.log("leader %s" % lead)

    def start_workload(self):
        p = self.profile
        nodes = ",".join("%s=%s" % (n, self.cluster.broker_addr(n)) for n in self.nodes)
        args = [self.cluster.workload_bin, "run", "--namesrv=" + self.cluster.namesrv_addr(),
                "--history=" + os.path.join(self.run_dir, "history.jsonl"),
                "--samples=" + os.path.join(self.run_dir, "samples.jsonl"), "--nodes=" + nodes,
                "--producers=%d" % p["producers"], "--rate=%g" % p["rate"], "--queues=4", "--pad=512",
                "--topic=" + self.topic] + self.workload_extra
        out = open(os.path.join(self.run_dir, "workload.log"), "ab")
        self.workload = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        out.close()
        cl.state_add("pids", (self.workload.pid, "raftmq-jepsen-workload"))
        t = int(time.time() * 1000)
        if not self.wait_ok_after(t, 60):
            raise RuntimeError("the workload got no acknowledged send within 60 s (workload.log)")
        self.log("workload running (%d producers x %g/s)" % (p["producers"], p["rate"]))

    def stop_workload(self):
        if self.workload and self.workload.poll() is None:
            self.workload.send_signal(signal.SIGTERM)
            try:
                self.workload.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.workload.kill()
                self.workload.wait()
            cl.state_remove("pids", self.workload.pid)

    def wait_ok_after(self, t_ms, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.tail.ok_after(t_ms):
                return True
            if self.workload and self.workload.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def wait_all_answer(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.cluster.status()
            if all(n in st and "error" not in st[n] for n in self.nodes) and self.cluster.leader(st):
                return True
            time.sleep(0.3)
        return False

    # ---- faults ----
    def start_fault(self, cls):
        f = cls(self)
        f.start()
        self.fault_seq += 1
        f.id = self.fault_seq
        self.active.append(f)
        self.event(event="fault-start", id=f.id, fault=f.name, targets=f.targets, kind=f.kind,
                   lossy_nodes=f.lossy_nodes)
        self.log("fault %s" % f.describe())
        return f

    def heal_fault(self, f):
        f.heal()
        self.active.remove(f)
        t = self.event(event="fault-heal", id=f.id, fault=f.name, all_healed=not self.active)
        self.log("heal  %s" % f.describe())
        return t

    def recover(self, t_heal):
        t = time.time()
        if self.wait_ok_after(t_heal, RECOVERY_WAIT_S):
            self.log("      first ack %.2fs after the heal" % (time.time() - t))
        else:
            self.log("      NO ack within %ds of the heal" % RECOVERY_WAIT_S)

    def fault_kinds(self):
        kinds = list(nm.ATTACH if self.attached else nm.ALL)
        if self.args.faults:
            kinds = [nm.BY_NAME[n] for n in self.args.faults.split(",")]
        if not self.fuse_ok:
            kinds = [k for k in kinds if k is not nm.CrashLazyFs]
        if not self.attached and self.tmpfs is None:
            kinds = [k for k in kinds if k is not nm.DiskFull]
        return kinds

    def run_short(self):
        if self.args.profile == "broken":
            order = [nm.IsolateLeader, nm.OneWayLeader, nm.IsolateLeader]
            if self.args.faults:
                order = self.fault_kinds()
        else:
            order = self.fault_kinds()
            self.rng.shuffle(order)
        hold = self.args.hold or self.profile["hold"]
        for cls in order:
            self.wait_all_answer()
            f = self.start_fault(cls)
            self.hold_fault(f, hold)
            t = self.heal_fault(f)
            self.recover(t)
            time.sleep(self.profile["quiet"])

    def hold_fault(self, f, hold):
        """Keeps fault `f` in place for `hold` seconds (kill-all: at most 4)."""
        time.sleep(hold if not isinstance(f, nm.KillAll) else min(hold, 4.0))

    def run_soak(self):
        end = time.time() + self.args.duration
        kinds = self.fault_kinds()
        while time.time() < end:
            self.wait_all_answer()
            first = self.rng.choice(kinds)
            faults = [self.start_fault(first)]
            if self.rng.random() < 0.3:
                others = [k for k in kinds if k.kind != first.kind and k is not nm.KillAll and first is not nm.KillAll]
                if others:
                    time.sleep(self.rng.uniform(0.5, 3))
                    faults.append(self.start_fault(self.rng.choice(others)))
            time.sleep(self.rng.uniform(3, 12))
            t = None
            for f in reversed(faults):
                t = self.heal_fault(f)
                time.sleep(self.rng.uniform(0, 1))
            self.recover(t)
            time.sleep(self.rng.uniform(1, 5))

    def final(self):
        """Heal everything, restart every process, then read every queue from every node."""
        for f in list(reversed(self.active)):
            self.heal_fault(f)
        self.log("restarting everything")
        t = self.event(event="fault-start", id=0, fault="restart-all", targets=list(self.nodes), kind="process",
                       lossy_nodes=0)
        if self.attached:
            for n in self.nodes:  # rolling: scripts/cluster restart-node waits for the catch-up
                self.event(event="node-start", node=n)
                self.cluster.start_node(n, wait=True)
        else:
            for n in self.nodes:
                self.cluster.stop(n)
            self.cluster.stop("ns")
            self.cluster.start_namesrv()
            for n in self.nodes:
                self.ensure_started(n)
        lead = self.cluster.wait_leader(60)
        th = self.event(event="fault-heal", id=0, fault="restart-all", all_healed=True)
        self.log("leader after restart: %s" % lead)
        if not self.wait_ok_after(max(t, th), 30):
            self.log("no acknowledged send after the restart")
        time.sleep(2)
        self.stop_workload()
        # Wait until every replica holds and has dispatched what the leader committed.
        deadline = time.time() + 40
        st = {}
        while time.time() < deadline:
            st = self.cluster.status()
            lead = self.cluster.leader(st)
            if lead and all(n in st and "error" not in st[n] for n in self.nodes):
                c = st[lead]["commitIndex"]
                if all(st[n]["commitIndex"] >= c and st[n].get("dispatchBehindBytes", 1) == 0 for n in self.nodes):
                    break
            time.sleep(0.3)
        else:
            self.log("replicas did not all catch up: %s" % {
                n: (s.get("role"), s.get("commitIndex"), s.get("dispatchBehindBytes"), s.get("error"))
                for n, s in st.items()})
        lead = self.cluster.leader(st) or self.cluster.wait_leader(20)
        for n in self.nodes:
            out = os.path.join(self.run_dir, "drain-%s.jsonl" % n)
            r = cl.sh([self.cluster.workload_bin, "drain", "--addr=" + self.cluster.broker_addr(n), "--node=" + n,
                       "--queues=4", "--topic=" + self.topic, "--out=" + out], check=False, timeout=120)
            if r.returncode != 0:
                self.log("drain of %s failed: %s" % (n, r.stderr.strip()[-300:]))
        self.write_cluster_json(lead)

    def write_cluster_json(self, final_leader):
        info = {
            "mode": self.mode, "profile": self.args.profile, "seed": self.args.seed, "net": self.net.mode,
            "nodes": {n: self.cluster.broker_addr(n) for n in self.nodes}, "final_leader": final_leader,
            "broken": self.args.profile == "broken", "lazyfs_nodes": self.fuse_nodes if self.fuse_ok else [],
            "disk_node": self.disk_node, "skew_node": self.skew_node, "topic": self.topic,
            "attached": self.cluster.cluster_dir if self.attached else None,
        }
        with open(os.path.join(self.run_dir, "cluster.json"), "w") as f:
            json.dump(info, f, indent=1)

    def teardown(self):
        try:
            self.stop_workload()
        except Exception as e:  # keep tearing down
            self.log("teardown: workload: %s" % e)
        for f in list(reversed(self.active)):
            try:
                self.heal_fault(f)
            except Exception as e:
                self.log("teardown: heal %s: %s" % (f.name, e))
        if self.attached:  # leave the cluster as it was found: every node running
            self.net.teardown()
            for n in self.nodes:
                if not self.cluster.alive(n):
                    self.cluster.start_node(n)
            self.events.close()
            return
        for n in self.nodes + ["ns"]:
            try:
                self.cluster.stop(n, timeout=10)
            except Exception as e:
                self.log("teardown: stop %s: %s" % (n, e))
        for m in self.lazyfs.values():
            m.unmount()
        if self.tmpfs:
            self.tmpfs.unmount()
        self.net.teardown()
        self.events.close()

    def run(self):
        try:
            self.setup()
            self.start_workload()
            time.sleep(2)
            if self.args.profile == "soak":
                self.run_soak()
            else:
                self.run_short()
            self.final()
        finally:
            self.teardown()
            if not self.args.keep_data and not self.attached:
                for n in self.nodes:
                    for sub in ("data", "lazyfs-backing"):
                        cl.sh(["rm", "-rf", os.path.join(self.cluster.node_dir(n), sub)], check=False)
        return checker.check(self.run_dir)


class HaHarness(Harness):
    """The ha profile: classic master/slave (cluster.HaCluster), one mode per master role. The
    nemeses are nemesis.HA_ALL; while the master is killed every slave is drained (what a
    SYNC_MASTER acknowledged must be there); the final drain reads every queue from the master and
    from each slave once the slaves have caught up."""

    def __init__(self, args, mode, run_dir, net_mode):
        self._init_common(args, mode, run_dir)
        self.role, flush = HA_MODES[mode]
        self.nodes = ["m"] + ["s%d" % (i + 1) for i in range(max(1, min(2, args.ha_slaves)))]
        self.attached = False
        self.net = cl.Net(self.nodes, net_mode)
        self.fuse_ok = False
        self.fuse_nodes = []
        self.disk_node = self.skew_node = None
        self.cluster = cl.HaCluster(args.bin_dir, run_dir, self.net, self.role, flush, self.log)
        self.data_mounts = []  # a tmpfs per node (see setup)
        self.workload_extra = ["--ha", "--broker_name=" + cl.HaCluster.BROKER_NAME,
                               "--cluster=" + cl.HaCluster.CLUSTER_NAME]

    def fault_kinds(self):
        if self.args.faults:
            return [nm.HA_BY_NAME[n] for n in self.args.faults.split(",")]
        return list(nm.HA_ALL)

    def setup(self):
        self.net.setup()
        self.cluster.write_configs()
        # Each node's data on its own tmpfs: the local CommitLog's retention deletes old segments
        # early, whatever their age, when its file system is more than 85 % used
        # (diskSpaceCleanForciblyRatio, by free blocks), and refuses writes above 90 %; the
        # checker needs every message. kill -9 keeps a tmpfs like the page cache; fdatasync is a
        # no-op there (no fault of this profile loses the page cache).
        for n in self.nodes:
            m = nm.SmallTmpfs(self.cluster.data_dir(n), 256)
            m.mount()
            self.data_mounts.append(m)
        self.cluster.fix_owners()
        self.log("net=%s, %s + SLAVE x%d, %s-flush" % (self.net.mode, self.role, len(self.cluster.slaves),
                                                     self.cluster.flush))
        self.cluster.start_namesrv()
        for n in self.nodes:
            self.ensure_started(n)
        if self.cluster.wait_leader(60) is None:
            raise RuntimeError("the master did not answer within 60 s (logs in %s)" % self.run_dir)
        if not self.wait_all_answer(30):
            raise RuntimeError("the slaves did not stream from the master within 30 s (logs in %s)" % self.run_dir)
        self.log("master %s up, %d slave(s) streaming" % (self.cluster.master, len(self.cluster.slaves)))

    def run(self):
        res = Harness.run(self)
        if self.role == "ASYNC_MASTER" and "unusable" not in res.counts:
            # The same history judged by the guarantee an ASYNC_MASTER does not give: shows that
            # the SYNC_MASTER check is not vacuous under this schedule (kill-master-partitioned).
            as_sync = checker.check(self.run_dir, "SYNC_MASTER")
            res.lines.append("  judged as SYNC_MASTER, this ASYNC_MASTER run has acked_not_on_slave=%d (%s)" % (
                as_sync.counts.get("acked_not_on_slave", 0), as_sync.verdict))
        return res

    def teardown(self):
        try:
            Harness.teardown(self)
        finally:
            for n, m in zip(self.nodes, self.data_mounts):
                if self.args.keep_data:  # the tmpfs goes with the unmount: keep a copy
                    cl.sh(["cp", "-a", m.path, os.path.join(self.cluster.node_dir(n), "data.kept")], check=False)
                m.unmount()

    def wait_caught_up(self, timeout):
        deadline = time.time() + timeout
        st = {}
        while time.time() < deadline:
            st = self.cluster.status()
            if self.cluster.caught_up(st):
                return True
            time.sleep(0.3)
        self.log("slaves did not all catch up: %s" % {
            n: (s.get("role"), s.get("maxOffset"), s.get("dispatchBehindBytes"), s.get("lagBytes"), s.get("error"))
            for n, s in st.items()})
        return False

    def drain(self, n, path):
        r = cl.sh([self.cluster.workload_bin, "drain", "--addr=" + self.cluster.broker_addr(n), "--node=" + n,
                   "--queues=4", "--topic=" + self.topic, "--out=" + path], check=False, timeout=120)
        if r.returncode != 0:
            self.log("drain of %s failed: %s" % (n, r.stderr.strip()[-300:]))

    def drain_slaves(self, f):
        """While the master is down: each live slave, once it has dispatched what it holds."""
        deadline = time.time() + 5
        while time.time() < deadline:
            st = self.cluster.status()
            live = [n for n in self.cluster.slaves if self.cluster.alive(n) and n not in self.cluster.paused]
            if all(n in st and st[n].get("dispatchBehindBytes", 1) == 0 for n in live):
                break
            time.sleep(0.2)
        for n in self.cluster.slaves:
            if not self.cluster.alive(n) or n in self.cluster.paused:
                continue
            t = self.event(event="slave-drain", id=f.id, node=n, file="drain-%s-f%d.jsonl" % (n, f.id))
            self.drain(n, os.path.join(self.run_dir, "drain-%s-f%d.jsonl" % (n, f.id)))
            self.log("      drained %s while the master is down (%.2fs)" % (n, time.time() - t / 1000.0))

    def hold_fault(self, f, hold):
        """As the base, and while the master is killed every slave is drained (within the hold)."""
        t_start = time.time()
        if getattr(f, "drain_slaves", False):
            self.drain_slaves(f)
        time.sleep(max(0.0, hold - (time.time() - t_start)))

    def wait_all_answer(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.cluster.status()
            if all(n in st and "error" not in st[n] for n in self.nodes) and self.cluster.leader(st):
                m = st[self.cluster.master]
                # a SYNC_MASTER's slaves stream again (else the next fault starts degraded)
                if len(m.get("slaves", [])) == len(self.cluster.slaves):
                    return True
            time.sleep(0.3)
        return False

    def final(self):
        """Heal, restart every process (the master's restart is the heal), wait for an ack, stop the
        workload, wait for the slaves to catch up, drain the master and every slave."""
        for f in list(reversed(self.active)):
            self.heal_fault(f)
        self.log("restarting everything")
        t = self.event(event="fault-start", id=0, fault="restart-all", targets=list(self.nodes), kind="process",
                       lossy_nodes=0)
        for n in reversed(self.nodes):
            self.cluster.stop(n)
        self.cluster.stop("ns")
        self.cluster.start_namesrv()
        for n in self.nodes:
            self.ensure_started(n)
        th = self.event(event="fault-heal", id=0, fault="restart-all", all_healed=True)
        if self.cluster.wait_leader(60) is None:
            self.log("the master did not answer after the restart")
        if not self.wait_ok_after(max(t, th), 30):
            self.log("no acknowledged send after the restart")
        time.sleep(2)
        self.stop_workload()
        self.wait_caught_up(40)
        for n in self.nodes:
            self.drain(n, os.path.join(self.run_dir, "drain-%s.jsonl" % n))
        info = {
            "mode": self.mode, "profile": self.args.profile, "seed": self.args.seed, "net": self.net.mode,
            "nodes": {n: self.cluster.broker_addr(n) for n in self.nodes}, "final_leader": self.cluster.master,
            "layout": "ha", "role": self.role, "flush": self.cluster.flush, "master": self.cluster.master,
            "slaves": list(self.cluster.slaves), "topic": self.topic, "broken": False,
        }
        with open(os.path.join(self.run_dir, "cluster.json"), "w") as f:
            json.dump(info, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="short")
    ap.add_argument("--modes", help="sync,async (default: the profile's)")
    ap.add_argument("--seed", type=int, default=None, help="replays a run (default: random, printed)")
    ap.add_argument("--duration", type=float, default=300, help="soak: seconds of faults per mode")
    ap.add_argument("--hold", type=float, default=None, help="seconds each fault lasts (short/broken)")
    ap.add_argument("--faults", help="only these fault kinds, comma-separated: " + ",".join(nm.BY_NAME))
    ap.add_argument("--bin-dir", default=os.environ.get("RMQ_BIN_DIR", os.path.join(ROOT, "build", "release")))
    ap.add_argument("--out-dir", default=os.path.join(HERE, "out"))
    ap.add_argument("--net", choices=["auto", "netns", "loopback"], default="auto")
    ap.add_argument("--expect-fail", action="store_true", help="exit 0 only if the checker finds lost acks")
    ap.add_argument("--lazyfs-nodes", type=int, default=1,
                    help="nodes whose data lives on lazyfs; crash-lazyfs crashes all of them at once")
    ap.add_argument("--ha-slaves", type=int, default=1, help="ha profile: slaves of the master (1 or 2)")
    ap.add_argument("--keep-data", action="store_true", help="keep the brokers' data directories")
    ap.add_argument("--cleanup", action="store_true", help="remove what an earlier run left, then exit")
    ap.add_argument("--check", metavar="RUN_DIR", help="run only the checker on a recorded run directory")
    ap.add_argument("--role", choices=checker.HA_ROLES,
                    help="with --check: judge a classic master/slave run as this master role")
    ap.add_argument("--attach", metavar="CLUSTER_DIR",
                    help="use the running cluster of `scripts/cluster start --dir CLUSTER_DIR` (e.g. run/) "
                         "instead of starting one; process and namesrv faults only")
    args = ap.parse_args()

    if args.check:
        return checker.main(["checker", args.check] + (["--role", args.role] if args.role else []))
    modes = args.modes.split(",") if args.modes else PROFILES[args.profile]["modes"]
    if args.profile == "ha":
        bad = [m for m in modes if m not in HA_MODES] + [
            k for k in (args.faults.split(",") if args.faults else []) if k not in nm.HA_BY_NAME]
        if bad or args.attach:
            print("jepsen: the ha profile takes modes %s and faults %s (not --attach): %s" % (
                ",".join(HA_MODES), ",".join(nm.HA_BY_NAME), ",".join(bad) or "--attach"), file=sys.stderr)
            return 2
    elif any(m in HA_MODES for m in modes):
        print("jepsen: modes %s belong to --profile ha" % ",".join(HA_MODES), file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("jepsen: must run as root (network namespaces, nft, mounts): skipped", file=sys.stderr)
        return 77  # ctest SKIP_RETURN_CODE
    cl.cleanup(log=lambda m: print("jepsen: " + m))
    if args.cleanup:
        return 0
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    args.bin_dir = os.path.abspath(args.bin_dir)
    net_mode = args.net
    if args.attach:
        modes = [cl.AttachedCluster(ROOT, args.attach, args.bin_dir, print).flush]
        net_mode = "attach"
    elif net_mode == "auto":
        net_mode = "netns" if cl.netns_available() else "loopback"
        if net_mode == "loopback":
            print("jepsen: network namespaces refused here: falling back to loopback aliases 127.0.0.x with nft "
                  "rules matched by socket uid", flush=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(args.out_dir, "%s-%s-seed%d" % (stamp, args.profile, args.seed))
    print("jepsen: profile=%s seed=%d modes=%s net=%s out=%s" % (args.profile, args.seed, ",".join(modes), net_mode,
                                                                base), flush=True)
    results = []

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    t0 = time.time()
    try:
        for mode in modes:
            cls = HaHarness if args.profile == "ha" else Harness
            h = cls(args, mode, os.path.join(base, mode), net_mode)
            results.append(h.run())
    finally:
        cl.cleanup(log=lambda m: print("jepsen: " + m))
    print()
    for r in results:
        print("\n".join(r.lines))
        print()
    for r in results:
        print(r.summary)
    ok_all = all(r.verdict == "PASS" for r in results) and len(results) == len(modes)
    lost = sum(r.counts.get("lost", 0) for r in results)
    print("jepsen: profile=%s seed=%d modes=%s wall=%.0fs verdict=%s" % (
        args.profile, args.seed, ",".join(modes), time.time() - t0, "PASS" if ok_all else "FAIL"))
    if args.expect_fail:
        caught = all(r.verdict == "FAIL" and r.counts.get("lost", 0) > 0 for r in results) and results
        print("jepsen: expected the checker to fail with lost > 0: %s (lost=%d)" % (
            "it did" if caught else "it did NOT", lost))
        return 0 if caught else 1
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
