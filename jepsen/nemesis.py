"""The nemeses: each fault kind has start() (inject, choosing its targets from the harness's view
of the cluster and its seeded random generator) and heal() (undo). See jepsen/README.md."""

import os
import signal
import subprocess
import sys
import time

from cluster import sh, state_add, state_remove, _is_mounted

HERE = os.path.dirname(os.path.abspath(__file__))


class Fault:
    name = "?"
    kind = "process"  # "process" | "network" | "disk" | "clock": the mixed schedule overlaps kinds
    lossy_nodes = 0  # nodes whose unsynced writes this fault destroys (async-flush expectation)

    def __init__(self, h):
        self.h = h
        self.targets = []

    def start(self):
        raise NotImplementedError

    def heal(self):
        raise NotImplementedError

    def describe(self):
        return "%s %s" % (self.name, ",".join(self.targets))


def _leader_or_any(h):
    lead = h.current_leader()
    if lead is None:
        lead = h.rng.choice(h.live_nodes() or h.nodes)
    return lead


def _follower(h, leader):
    others = [n for n in h.nodes if n != leader]
    live = [n for n in others if h.cluster.alive(n)]
    return h.rng.choice(live or others)


class KillFault(Fault):
    """kill -9 the node pick() chooses; heal starts it again."""

    def pick(self):
        raise NotImplementedError

    def start(self):
        self.targets = [self.pick()]
        self.h.cluster.kill9(self.targets[0])

    def heal(self):
        self.h.ensure_started(self.targets[0])


class PauseFault(Fault):
    """SIGSTOP the node pick() chooses; heal sends SIGCONT."""

    def pick(self):
        raise NotImplementedError

    def start(self):
        self.targets = [self.pick()]
        self.h.cluster.signal(self.targets[0], signal.SIGSTOP)

    def heal(self):
        self.h.cluster.signal(self.targets[0], signal.SIGCONT)


class KillLeader(KillFault):
    name = "kill-leader"

    def pick(self):
        return _leader_or_any(self.h)


class KillFollower(KillFault):
    name = "kill-follower"

    def pick(self):
        return _follower(self.h, self.h.current_leader())


class PauseLeader(PauseFault):
    name = "pause-leader"

    def pick(self):
        return _leader_or_any(self.h)


class NetFault(Fault):
    kind = "network"

    def rules(self):
        raise NotImplementedError

    def start(self):
        self.key = "%s-%d" % (self.name, id(self))
        self.h.net.set_rules(self.key, self.rules())

    def heal(self):
        self.h.net.clear_rules(self.key)


class IsolateLeader(NetFault):
    name = "isolate-leader"

    def rules(self):
        lead = _leader_or_any(self.h)
        self.targets = [lead]
        out = []
        for n in self.h.nodes:
            if n != lead:
                out += [("drop", lead, n, 0), ("drop", n, lead, 0)]
        return out


class Bridge(NetFault):
    """Cuts one link only (leader <-> one follower); the other follower still sees both."""

    name = "bridge"

    def rules(self):
        lead = _leader_or_any(self.h)
        f = _follower(self.h, lead)
        self.targets = [lead, f]
        return [("drop", lead, f, 0), ("drop", f, lead, 0)]


class OneWayLeader(NetFault):
    """The leader's messages reach its peers, theirs never reach it."""

    name = "one-way-leader"

    def rules(self):
        lead = _leader_or_any(self.h)
        self.targets = [lead]
        return [("drop", n, lead, 0) for n in self.h.nodes if n != lead]


class IsolateNamesrv(NetFault):
    name = "isolate-namesrv"

    def rules(self):
        self.targets = ["ns"]
        return [("drop", "*", "ns", 0)]


class LossyLink(NetFault):
    """Random loss on the link leader <-> one follower (nft numgen; no netem on this kernel, so no
    delay: jepsen/README.md)."""

    name = "packet-loss"

    def rules(self):
        lead = _leader_or_any(self.h)
        f = _follower(self.h, lead)
        self.targets = [lead, f]
        pct = self.h.rng.choice([20, 30, 40])
        self.targets.append("%d%%" % pct)
        return [("loss", lead, f, pct), ("loss", f, lead, pct)]


class ClockSkew(Fault):
    """libfaketime on one broker (started with it): its wall clock jumps by tens of seconds."""

    name = "clock-skew"
    kind = "clock"

    def start(self):
        n = self.h.cluster.faketime_node
        skew = self.h.rng.choice([-1, 1]) * self.h.rng.randint(30, 120)
        self.targets = [n, "%+ds" % skew]
        with open(self.h.cluster.faketime_file(n), "w") as f:
            f.write("%+d\n" % skew)

    def heal(self):
        with open(self.h.cluster.faketime_file(self.targets[0]), "w") as f:
            f.write("+0\n")


class CrashLazyFs(Fault):
    """kill -9 the node(s) whose data lives on lazyfs and drop what they had not fsynced (power
    loss); with --lazyfs-nodes 2 or 3 a majority loses its unsynced writes at once."""

    name = "crash-lazyfs"
    kind = "disk"

    def start(self):
        self.targets = list(self.h.lazyfs)
        self.lossy_nodes = len(self.targets)
        for n in self.targets:
            self.h.cluster.kill9(n)
        for n in self.targets:
            self.h.lazyfs[n].crash()

    def heal(self):
        for n in self.targets:
            self.h.lazyfs[n].remount()
        for n in self.targets:
            self.h.ensure_started(n)


class KillAll(Fault):
    name = "kill-all"

    def start(self):
        self.targets = list(self.h.nodes)
        for n in self.h.nodes:
            self.h.cluster.kill9(n)

    def heal(self):
        for n in self.h.nodes:
            self.h.ensure_started(n)


class DiskFull(Fault):
    """The node's entry-log data directory is a small tmpfs: a ballast file takes all its free
    space, so the next segment cannot be created."""

    name = "disk-full"
    kind = "disk"

    def start(self):
        n = self.h.disk_node
        self.targets = [n]
        self.h.tmpfs.fill()

    def heal(self):
        self.h.tmpfs.drain()
        # A node whose log write failed has stopped working (by design): start it again.
        self.h.cluster.kill9(self.targets[0])
        self.h.ensure_started(self.targets[0])


# ---- classic master/slave (the ha profile) ----------------------------------------------------


def _slave(h):
    live = [n for n in h.cluster.slaves if h.cluster.alive(n) and n not in h.cluster.paused]
    return h.rng.choice(live or h.cluster.slaves)


class KillMaster(KillFault):
    """kill -9 the master (no failover: sends fail until it is back); while it is down, the
    harness drains every slave (`drain_slaves`): what a SYNC_MASTER acknowledged must be there."""

    name = "kill-master"
    drain_slaves = True

    def pick(self):
        return self.h.cluster.master


class PauseMaster(PauseFault):
    name = "pause-master"

    def pick(self):
        return self.h.cluster.master


class KillSlave(KillFault):
    name = "kill-slave"

    def pick(self):
        return _slave(self.h)


class PauseSlave(PauseFault):
    """SIGSTOP a slave: its HA connection stays open but silent (a SYNC_MASTER's sends wait
    syncFlushTimeout, then FLUSH_SLAVE_TIMEOUT 12; once the master drops it, SLAVE_NOT_AVAILABLE 11)."""

    name = "pause-slave"

    def pick(self):
        return _slave(self.h)


class PartitionMaster(NetFault):
    """nft drops everything between the master and every slave, both ways (clients and the
    namesrv still reach all of them)."""

    name = "partition-master"

    def rules(self):
        m = self.h.cluster.master
        self.targets = [m] + list(self.h.cluster.slaves)
        out = []
        for s in self.h.cluster.slaves:
            out += [("drop", m, s, 0), ("drop", s, m, 0)]
        return out


class KillMasterPartitioned(NetFault):
    """The master loses its slaves (nft, both ways), keeps taking sends for 2 s, then is killed -9;
    the slaves are drained while it is down. What an ASYNC_MASTER acknowledged in those 2 s is on
    no slave (its documented risk: lost if the master's disk never comes back); a SYNC_MASTER
    acknowledges nothing then (it answers 12, then 11)."""

    name = "kill-master-partitioned"
    kind = "process"
    drain_slaves = True

    def rules(self):
        m = self.h.cluster.master
        self.targets = [m] + list(self.h.cluster.slaves)
        out = []
        for s in self.h.cluster.slaves:
            out += [("drop", m, s, 0), ("drop", s, m, 0)]
        return out

    def start(self):
        super().start()
        time.sleep(2.0)
        self.h.cluster.kill9(self.h.cluster.master)

    def heal(self):
        super().heal()
        self.h.ensure_started(self.h.cluster.master)


class PartitionSlave(NetFault):
    """nft cuts one slave from the master, both ways (with two slaves the other keeps streaming)."""

    name = "partition-slave"

    def rules(self):
        m = self.h.cluster.master
        s = _slave(self.h)
        self.targets = [m, s]
        return [("drop", m, s, 0), ("drop", s, m, 0)]


# The ha profile's kinds, in the short order's pool; partition-slave equals partition-master with
# one slave, isolate-namesrv also works here (--faults).
HA_ALL = [KillMaster, PauseSlave, PartitionMaster, KillSlave, PauseMaster, KillMasterPartitioned]
HA_BY_NAME = {f.name: f for f in HA_ALL + [PartitionSlave, IsolateNamesrv]}


ALL = [
    KillLeader,
    KillFollower,
    PauseLeader,
    IsolateLeader,
    Bridge,
    OneWayLeader,
    IsolateNamesrv,
    ClockSkew,
    LossyLink,
    CrashLazyFs,
    KillAll,
    DiskFull,
]
BY_NAME = {f.name: f for f in ALL}
# What works against a cluster of scripts/cluster (all on 127.0.0.1: rules can name only the
# receiving port; no FUSE/tmpfs/libfaketime under processes someone else started).
ATTACH = [KillLeader, KillFollower, PauseLeader, OneWayLeader, IsolateNamesrv, KillAll]


# ---- mounts --------------------------------------------------------------------------------------


class LazyMount:
    """jepsen/lazyfs.py mounted over a backing directory (the node's data directory)."""

    def __init__(self, backing, mountpoint, log_path, log):
        self.backing = backing
        self.mountpoint = mountpoint
        self.log_path = log_path
        self.log = log
        self.proc = None
        os.makedirs(backing, exist_ok=True)
        os.makedirs(mountpoint, exist_ok=True)

    def mount(self):
        out = open(self.log_path, "ab")
        state_add("mounts", os.path.realpath(self.mountpoint))
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "lazyfs.py"), self.backing,
                                      self.mountpoint], stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        state_add("pids", (self.proc.pid, "lazyfs.py"))
        deadline = time.time() + 10
        while not _is_mounted(self.mountpoint):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("lazyfs did not mount %s (see %s)" % (self.mountpoint, self.log_path))
            time.sleep(0.05)

    def crash(self):
        """Drops every write not fsynced (see lazyfs.py); later writes are ignored until remount."""
        if self.proc and self.proc.poll() is None:
            try:
                os.stat(os.path.join(self.mountpoint, ".lazyfs-crash"))
            except OSError:
                pass

    def unmount(self):
        if _is_mounted(self.mountpoint):
            if sh(["umount", self.mountpoint], check=False).returncode != 0:
                time.sleep(0.3)
                if sh(["umount", self.mountpoint], check=False).returncode != 0:
                    self.log("lazyfs: %s busy: lazy unmount" % self.mountpoint)
                    sh(["umount", "-l", self.mountpoint], check=False)
        if self.proc:
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.log("lazyfs: daemon kept by mount copies in other namespaces: killed")
                self.proc.kill()
                self.proc.wait()
            state_remove("pids", self.proc.pid)
            self.proc = None
        state_remove("mounts", os.path.realpath(self.mountpoint))

    def remount(self):
        self.unmount()
        self.mount()


class SmallTmpfs:
    """A tmpfs of `size_mb` MiB at `path`; fill() takes all its free space with a ballast file."""

    def __init__(self, path, size_mb):
        self.path = path
        self.size_mb = size_mb
        os.makedirs(path, exist_ok=True)

    def mount(self):
        state_add("mounts", os.path.realpath(self.path))
        sh(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0777" % self.size_mb, "rmqj-disk", self.path])

    def ballast(self):
        return os.path.join(self.path, "ballast")

    def fill(self):
        sv = os.statvfs(self.path)
        free = sv.f_bavail * sv.f_frsize
        fd = os.open(self.ballast(), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, free)
        except OSError:
            pass
        finally:
            os.close(fd)

    def drain(self):
        try:
            os.unlink(self.ballast())
        except OSError:
            pass

    def unmount(self):
        if _is_mounted(self.path):
            sh(["umount", "-l", self.path], check=False)
        state_remove("mounts", os.path.realpath(self.path))


def fuse_available():
    return os.path.exists("/dev/fuse") and subprocess.run(
        ["/usr/bin/python3", "-c", "import fusepy"], capture_output=True).returncode == 0


if __name__ == "__main__":
    sys.exit("not a program: see run.py")
