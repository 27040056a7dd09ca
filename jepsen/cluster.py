"""The cluster under test: one raftmq-namesrv and a three-node DLedger group as real processes.

Networking, in order of preference:
  netns     each broker and the namesrv in its own network namespace (rmqj-n1.., rmqj-ns), veth
            pairs on the bridge rmqj0 (10.77.0.0/24); the harness and the workload client stay in
            the root namespace (10.77.0.254). Faults are nft tables inside the namespaces.
  loopback  when namespaces are refused: 127.0.0.x aliases, each broker under its own uid, and
            one nft table in the root namespace whose rules match the sender by socket uid
            (meta skuid) and the receiver by address.
Every namespace, link, nft table, mount and process is recorded in a state file as it is made,
so that `run.py --cleanup` removes what a crashed run left behind.
"""

import json
import os
import shutil
import signal
import subprocess
import time

STATE_FILE = "/tmp/rmqj-jepsen.state.json"
BRIDGE = "rmqj0"
SUBNET = "10.77.0"
HOST_IP = SUBNET + ".254"
NAMESRV_PORT = 9876
BROKER_PORT = 10911
RAFT_PORT = 40911
LOOPBACK_UID_BASE = 47000
FAKETIME_LIBS = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
]
NFT_TABLE = "rmqj"


def sh(args, check=True, quiet=False, input=None, timeout=30):
    r = subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), r.returncode, (r.stderr or r.stdout).strip()))
    return r


# ---- state (for --cleanup) ----------------------------------------------------------------------


def _load_state():
    try:
        with open(STATE_FILE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"pids": {}, "netns": [], "links": [], "mounts": [], "nft_root": False}


def _save_state(st):
    tmp = STATE_FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, STATE_FILE)


def state_add(kind, value):
    st = _load_state()
    if kind == "pids":
        st["pids"][str(value[0])] = value[1]
    elif kind == "nft_root":
        st["nft_root"] = True
    elif value not in st[kind]:
        st[kind].append(value)
    _save_state(st)


def state_remove(kind, value):
    st = _load_state()
    if kind == "pids":
        st["pids"].pop(str(value), None)
    elif value in st.get(kind, []):
        st[kind].remove(value)
    _save_state(st)


def _pid_is(pid, marker):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return marker.encode() in f.read()
    except OSError:
        return False


def cleanup(log=print):
    """Removes everything a run recorded in the state file. Idempotent."""
    st = _load_state()
    for pid, marker in list(st.get("pids", {}).items()):
        pid = int(pid)
        if _pid_is(pid, marker):
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            log("cleanup: killed pid %d (%s)" % (pid, marker))
    for m in reversed(st.get("mounts", [])):
        if _is_mounted(m):
            r = sh(["umount", "-l", m], check=False)
            if r.returncode != 0:
                sh(["fusermount3", "-u", "-z", m], check=False)
            log("cleanup: unmounted %s" % m)
    for ns in st.get("netns", []):
        if sh(["ip", "netns", "del", ns], check=False).returncode == 0:
            log("cleanup: removed netns %s" % ns)
    for link in st.get("links", []):
        if sh(["ip", "link", "del", link], check=False).returncode == 0:
            log("cleanup: removed link %s" % link)
    if st.get("nft_root"):
        if sh(["nft", "delete", "table", "inet", NFT_TABLE], check=False).returncode == 0:
            log("cleanup: removed nft table inet %s" % NFT_TABLE)
    try:
        os.unlink(STATE_FILE)
    except OSError:
        pass


def _is_mounted(path):
    path = os.path.realpath(path)
    try:
        with open("/proc/mounts") as f:
            return any(line.split()[1] == path for line in f)
    except OSError:
        return False


# ---- network -----------------------------------------------------------------------------------


class Net:
    """Addresses of the cluster and the fault rules on its links.

    A rule is (kind, src, dst, pct): kind "drop" or "loss"; src and dst are node names (n1.. or
    "ns" for the namesrv, "client" for the workload) or "*" for anyone. Rules are kept by key so
    that several faults can be active at once; apply() rewrites the nft tables from all of them.
    """

    def __init__(self, nodes, mode, ports=None):
        self.nodes = nodes  # ["n1", "n2", "n3"], or ["m", "s1", "s2"] (classic HA)
        self.mode = mode  # netns | loopback | attach (ports: who -> the port that receives)
        self.ports = ports or {}
        self.rules = {}  # key -> list of rules
        self.tables = set()  # where an nft table exists: namespace names or "root"

    def index(self, who):
        """The node's host number: n<k> -> k, and in the classic HA layout m -> 1, s<k> -> k+1."""
        if who == "ns":
            return 10
        if who == "m":
            return 1
        return int(who[1:]) + (1 if who.startswith("s") else 0)

    def ip(self, who):
        if who == "client":
            return HOST_IP if self.mode == "netns" else "127.0.0.1"
        idx = self.index(who)
        return "%s.%d" % (SUBNET, idx) if self.mode == "netns" else "127.0.0.%d" % (10 + idx)

    def netns(self, who):
        return "rmqj-" + who

    def uid(self, who):
        return 0 if who == "client" else LOOPBACK_UID_BASE + self.index(who)

    def setup(self):
        if self.mode == "netns":
            self._setup_netns()
        elif self.mode == "loopback":
            for who in self.nodes + ["ns"]:
                sh(["ip", "addr", "add", self.ip(who) + "/8", "dev", "lo"], check=False)

    def _setup_netns(self):
        state_add("links", BRIDGE)
        sh(["ip", "link", "add", BRIDGE, "type", "bridge"])
        sh(["ip", "addr", "add", HOST_IP + "/24", "dev", BRIDGE])
        sh(["ip", "link", "set", BRIDGE, "up"])
        for who in self.nodes + ["ns"]:
            ns = self.netns(who)
            veth = "rmqj-v" + who
            state_add("netns", ns)
            sh(["ip", "netns", "add", ns])
            state_add("links", veth)
            sh(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
            sh(["ip", "link", "set", veth, "master", BRIDGE, "up"])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
            sh(["ip", "-n", ns, "addr", "add", self.ip(who) + "/24", "dev", "eth0"])
            sh(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def teardown(self):
        self.rules.clear()
        self.apply()
        if self.mode == "netns":
            for who in self.nodes + ["ns"]:
                ns = self.netns(who)
                sh(["ip", "netns", "del", ns], check=False)
                state_remove("netns", ns)
                state_remove("links", "rmqj-v" + who)
            sh(["ip", "link", "del", BRIDGE], check=False)
            state_remove("links", BRIDGE)

    def wrap(self, who, args):
        """The command line that runs `args` as node `who` (inside its namespace)."""
        if self.mode == "netns":
            return ["ip", "netns", "exec", self.netns(who)] + args
        return args

    # ---- rules ----
    def set_rules(self, key, rules):
        self.rules[key] = list(rules)
        self.apply()

    def clear_rules(self, key):
        if self.rules.pop(key, None) is not None:
            self.apply()

    def _match_pct(self, pct):
        return "numgen random mod 100 < %d " % pct if pct else ""

    def apply(self):
        all_rules = [r for rs in self.rules.values() for r in rs]
        if self.mode == "netns":
            per_ns = {}
            for kind, src, dst, pct in all_rules:
                m = "iifname != \"lo\" " if src == "*" else "ip saddr %s " % self.ip(src)
                per_ns.setdefault(dst, []).append(m + self._match_pct(pct if kind == "loss" else 0) + "drop")
            for who in self.nodes + ["ns"]:
                self._write_table(self.netns(who), per_ns.get(who, []), [])
        elif self.mode == "attach":
            # Everything is 127.0.0.1 here: a rule can only name the receiving port, so only
            # faults that cut every sender of a receiver are exact (isolate-namesrv, one-way).
            out = []
            for kind, src, dst, pct in all_rules:
                out.append("tcp dport %d " % self.ports[dst] + self._match_pct(pct if kind == "loss" else 0) + "drop")
            self._write_table("root", [], sorted(set(out)))
        else:
            out = []
            for kind, src, dst, pct in all_rules:
                m = "ip daddr %s " % self.ip(dst)
                if src != "*":
                    m += "meta skuid %d " % self.uid(src)
                out.append(m + self._match_pct(pct if kind == "loss" else 0) + "drop")
            self._write_table("root", [], out)

    def _write_table(self, where, input_rules, output_rules):
        prefix = [] if where == "root" else ["ip", "netns", "exec", where]
        if not input_rules and not output_rules:
            if where in self.tables:
                sh(prefix + ["nft", "delete", "table", "inet", NFT_TABLE], check=False)
                self.tables.discard(where)
            return
        if where == "root":
            state_add("nft_root", True)
        text = "table inet %s {\n" % NFT_TABLE
        text += "  chain input { type filter hook input priority 0; policy accept;\n"
        text += "".join("    %s\n" % r for r in input_rules) + "  }\n"
        text += "  chain output { type filter hook output priority 0; policy accept;\n"
        text += "".join("    %s\n" % r for r in output_rules) + "  }\n}\n"
        if where in self.tables:
            sh(prefix + ["nft", "delete", "table", "inet", NFT_TABLE], check=False)
        sh(prefix + ["nft", "-f", "-"], input=text)
        self.tables.add(where)


def netns_available():
    """True when this process may create network namespaces and nft tables in them."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("nft") is None:
        return False
    probe = "rmqj-probe"
    sh(["ip", "netns", "del", probe], check=False)
    if sh(["ip", "netns", "add", probe], check=False).returncode != 0:
        return False
    try:
        return (
            sh(["ip", "netns", "exec", probe, "nft", "add", "table", "inet", "probe"], check=False).returncode == 0
        )
    finally:
        sh(["ip", "netns", "del", probe], check=False)


# ---- processes ---------------------------------------------------------------------------------


class Cluster:
    """Config files, data directories and processes of one run."""

    def __init__(self, bin_dir, run_dir, net, flush, log, extra_broker_conf=(), faketime_node=None):
        self.bin_dir = bin_dir
        self.run_dir = run_dir
        self.net = net
        self.nodes = net.nodes
        self.flush = flush  # "sync" | "async"
        self.log = log
        self.extra = list(extra_broker_conf)
        self.faketime_node = faketime_node
        self.procs = {}  # name -> Popen
        self.paused = set()
        self.broker_bin = os.path.join(bin_dir, "broker", "raftmq-broker")
        self.namesrv_bin = os.path.join(bin_dir, "namesrv", "raftmq-namesrv")
        self.workload_bin = os.path.join(bin_dir, "jepsen", "raftmq-jepsen-workload")
        for b in (self.broker_bin, self.namesrv_bin, self.workload_bin):
            if not os.access(b, os.X_OK):
                raise RuntimeError("%s is missing: build raftmq-broker raftmq-namesrv raftmq-jepsen-workload" % b)

    # ---- addresses ----
    def namesrv_addr(self):
        return "%s:%d" % (self.net.ip("ns"), NAMESRV_PORT)

    def broker_addr(self, n):
        return "%s:%d" % (self.net.ip(n), BROKER_PORT)

    def node_of_addr(self, addr):
        for n in self.nodes:
            if self.broker_addr(n) == addr:
                return n
        return addr

    def node_dir(self, n):
        return os.path.join(self.run_dir, n)

    def data_dir(self, n):
        return os.path.join(self.run_dir, n, "data")

    def faketime_file(self, n):
        return os.path.join(self.node_dir(n), "faketime")

    # ---- configs ----
    def write_namesrv_config(self):
        os.makedirs(self.node_dir("ns"), exist_ok=True)
        with open(os.path.join(self.node_dir("ns"), "namesrv.conf"), "w") as f:
            f.write("listenPort=%d\nbindAddress=%s\nmetricsPort=-1\n" % (NAMESRV_PORT, self.net.ip("ns")))

    def common_broker_lines(self, n):
        """The broker.conf lines node `n` has in every profile (addresses, data, flush, small files)."""
        return [
            "listenPort=%d" % BROKER_PORT,
            "metricsPort=-1",
            "namesrvAddr=%s" % self.namesrv_addr(),
            "brokerIP1=%s" % self.net.ip(n),
            "bindAddress=%s" % self.net.ip(n),
            "storePathRootDir=%s" % self.data_dir(n),
            "flushDiskType=%s" % ("SYNC_FLUSH" if self.flush == "sync" else "ASYNC_FLUSH"),
            # Small files: a run writes a few MiB, and the disk-full fault needs segments
            # that fill within seconds (jepsen/README.md).
            "mappedFileSizeCommitLog=131072",
            "mappedFileSizeConsumeQueue=81920",
            "maxHashSlotNum=4096",
            "maxIndexNum=16384",
            "maxMessageSize=65536",
            "registerNameServerPeriod=5000",
            "defaultTopicQueueNums=4",
        ]

    def write_broker_config(self, n, lines):
        os.makedirs(self.data_dir(n), exist_ok=True)
        with open(os.path.join(self.node_dir(n), "broker.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def write_configs(self):
        peers = ";".join("%s-%s:%d" % (n, self.net.ip(n), RAFT_PORT) for n in self.nodes)
        self.write_namesrv_config()
        for n in self.nodes:
            raft = [
                "brokerClusterName=RaftCluster",
                "brokerName=RaftNode00",
                "enableDLegerCommitLog=true",
                "dLegerGroup=RaftNode00",
                "dLegerPeers=%s" % peers,
                "dLegerSelfId=%s" % n,
            ]
            self.write_broker_config(n, raft + self.common_broker_lines(n) + self.extra)
        if self.faketime_node:
            with open(self.faketime_file(self.faketime_node), "w") as f:
                f.write("+0\n")

    def fix_owners(self):
        """Loopback mode runs each process under its own uid: it must own its directory."""
        if self.net.mode == "loopback":
            for who in self.nodes + ["ns"]:
                sh(["chown", "-R", "%d" % self.net.uid(who), self.node_dir(who)])

    # ---- processes ----
    def _spawn(self, name, args, env_extra=None):
        d = self.node_dir(name)
        os.makedirs(d, exist_ok=True)
        out = open(os.path.join(d, "stdout.log"), "ab")
        out.write(("=== %s start ===\n" % time.strftime("%H:%M:%S")).encode())
        out.flush()
        cmd = list(args)
        if env_extra:
            cmd = ["env"] + ["%s=%s" % kv for kv in env_extra.items()] + cmd
        cmd = self.net.wrap(name, cmd)
        kw = {}
        if self.net.mode == "loopback":
            kw["user"] = self.net.uid(name)
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=d, start_new_session=True, **kw)
        out.close()
        self.procs[name] = p
        state_add("pids", (p.pid, "raftmq-"))
        return p

    def start_namesrv(self):
        conf = os.path.join(self.node_dir("ns"), "namesrv.conf")
        self._spawn("ns", [self.namesrv_bin, "--config=" + conf,
                           "--log_file=" + os.path.join(self.node_dir("ns"), "namesrv.log")])

    def start_node(self, n):
        env = None
        if n == self.faketime_node:
            lib = next((p for p in FAKETIME_LIBS if os.path.exists(p)), None)
            if lib is None:
                raise RuntimeError("libfaketime is missing (Debian package faketime)")
            env = {
                "LD_PRELOAD": lib,
                "FAKETIME_TIMESTAMP_FILE": self.faketime_file(n),
                "FAKETIME_CACHE_DURATION": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            }
        self._spawn(n, [self.broker_bin, "--config=" + os.path.join(self.node_dir(n), "broker.conf"),
                        "--log_file=" + os.path.join(self.node_dir(n), "broker.log")], env)

    def alive(self, name):
        p = self.procs.get(name)
        return p is not None and p.poll() is None

    def signal(self, name, sig):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            return False
        os.kill(p.pid, sig)
        if sig == signal.SIGSTOP:
            self.paused.add(name)
        elif sig == signal.SIGCONT:
            self.paused.discard(name)
        return True

    def kill9(self, name):
        p = self.procs.get(name)
        if p is None:
            return
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        self.paused.discard(name)
        state_remove("pids", p.pid)

    def stop(self, name, timeout=20):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            return
        if name in self.paused:
            self.signal(name, signal.SIGCONT)
        p.terminate()
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.log("%s did not stop within %ds: kill -9" % (name, timeout))
            self.kill9(name)
        state_remove("pids", p.pid)

    def stop_all(self):
        for n in self.nodes:
            self.stop(n)
        self.stop("ns")

    def exit_code(self, name):
        p = self.procs.get(name)
        return None if p is None else p.poll()

    # ---- status (through the workload binary: RAFT_STATUS 20010 to each node) ----
    status_flags = []  # the classic HA layout asks HA_STATUS (--ha)

    def status(self, timeout=8):
        nodes = ",".join("%s=%s" % (n, self.broker_addr(n)) for n in self.nodes)
        try:
            r = sh([self.workload_bin, "status", "--nodes=" + nodes, "--namesrv=" + self.namesrv_addr()] +
                   list(getattr(self, "status_flags", [])), check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {}
        out = {}
        for line in r.stdout.splitlines():
            try:
                j = json.loads(line)
            except ValueError:
                continue
            out[j.get("node")] = j
        return out

    def leader(self, status=None):
        """The serving leader with the highest term (a deposed one may not know yet), or None."""
        status = status if status is not None else self.status()
        best = None
        for n, s in status.items():
            if s.get("role") == "leader" and s.get("writable") and n not in self.paused:
                if best is None or s.get("term", 0) > status[best].get("term", 0):
                    best = n
        return best

    def wait_leader(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lead = self.leader()
            if lead:
                return lead
            time.sleep(0.3)
        return None


class HaCluster(Cluster):
    """Classic master/slave (broker/ha/README.md): one namesrv, the master "m" (brokerId 0,
    SYNC_MASTER or ASYNC_MASTER) and the slaves "s1".. (brokerId 1.., SLAVE) of the group HaNode00,
    on the local CommitLog (enableDLegerCommitLog=false). The slaves learn the master's HA address
    from the NameServer's register answer (no haMasterAddress). No failover: the master is the
    only node that takes sends, and it is always "m"."""

    status_flags = ["--ha"]
    BROKER_NAME = "HaNode00"
    CLUSTER_NAME = "HaCluster"
    HA_PORT = BROKER_PORT + 1

    def __init__(self, bin_dir, run_dir, net, role, flush, log):
        super().__init__(bin_dir, run_dir, net, flush, log)
        self.role = role  # SYNC_MASTER | ASYNC_MASTER
        self.master = net.nodes[0]
        self.slaves = list(net.nodes[1:])

    def broker_id(self, n):
        return 0 if n == self.master else self.slaves.index(n) + 1

    def write_configs(self):
        self.write_namesrv_config()
        for n in self.nodes:
            master = n == self.master
            lines = [
                "brokerClusterName=%s" % self.CLUSTER_NAME,
                "brokerName=%s" % self.BROKER_NAME,
                "brokerId=%d" % self.broker_id(n),
                "brokerRole=%s" % (self.role if master else "SLAVE"),
                "enableDLegerCommitLog=false",
                # A SYNC_MASTER answers FLUSH_SLAVE_TIMEOUT (12) after syncFlushTimeout: shorter
                # than the workload's 3 s send timeout, or the client would only see timeouts.
                "syncFlushTimeout=2000",
                # A silent peer (paused, partitioned) is dropped within a 5 s fault, and an idle
                # master's heartbeat comes often enough for that (defaults 20 s and 5 s).
                "haHousekeepingInterval=4000",
                "haSendHeartbeatInterval=1000",
            ] + self.common_broker_lines(n)
            if master:
                lines.append("haListenPort=%d" % self.HA_PORT)
            self.write_broker_config(n, lines)

    def leader(self, status=None):
        """The master when it answers HA_STATUS as a master (and is not paused), else None."""
        status = status if status is not None else self.status()
        s = status.get(self.master)
        if s and "error" not in s and s.get("role") in ("SYNC_MASTER", "ASYNC_MASTER") and \
                self.master not in self.paused and self.alive(self.master):
            return self.master
        return None

    def caught_up(self, status):
        """Every slave streams with no lag, holds the master's log end, and every node has
        dispatched its whole log into the consume queues."""
        m = status.get(self.master)
        if not m or "error" in m or m.get("dispatchBehindBytes", 1) != 0:
            return False
        streaming = {s.get("brokerId"): s for s in m.get("slaves", [])}
        for n in self.slaves:
            st = status.get(n)
            acked = streaming.get(self.broker_id(n))
            if not st or "error" in st or acked is None or acked.get("lagBytes", 1) != 0:
                return False
            if st.get("maxOffset") != m.get("maxOffset") or st.get("dispatchBehindBytes", 1) != 0:
                return False
        return True


# ---- a cluster started by scripts/cluster ----------------------------------------------------------


def _conf_value(path, key):
    val = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(key + "="):
                val = line.split("=", 1)[1].strip()
    return val


class AttachedCluster:
    """The local cluster of scripts/cluster (RUN_DIR/{namesrv,n1,n2,n3}/pid, deploy/conf/*.conf), left
    running afterwards. Nodes are killed and paused by the pids scripts/cluster recorded and started
    again with `scripts/cluster restart-node N`; it has no namespaces, FUSE, tmpfs or libfaketime."""

    def __init__(self, root, cluster_dir, bin_dir, log):
        self.root = root
        self.cluster_dir = os.path.abspath(cluster_dir)
        self.bin_dir = bin_dir
        self.log = log
        self.nodes = ["n1", "n2", "n3"]
        self.paused = set()
        self.faketime_node = None
        conf = os.path.join(root, "deploy", "conf")
        self.ports = {}
        self.raft_ports = {}
        for n in self.nodes:
            path = os.path.join(conf, "broker-%s.conf" % n)
            self.ports[n] = int(_conf_value(path, "listenPort"))
            peers = _conf_value(path, "dLegerPeers")
            for p in peers.split(";"):
                if p.startswith(n + "-"):
                    self.raft_ports[n] = int(p.rsplit(":", 1)[1])
            self.flush = "sync" if _conf_value(path, "flushDiskType") == "SYNC_FLUSH" else "async"
        self.namesrv_port = int(_conf_value(os.path.join(conf, "namesrv.conf"), "listenPort"))
        self.workload_bin = os.path.join(bin_dir, "jepsen", "raftmq-jepsen-workload")
        if not os.access(self.workload_bin, os.X_OK):
            raise RuntimeError("%s is missing: build raftmq-jepsen-workload" % self.workload_bin)
        if self.pid("namesrv") is None:
            raise RuntimeError("no namesrv running in %s: scripts/cluster start first" % self.cluster_dir)

    def namesrv_addr(self):
        return "127.0.0.1:%d" % self.namesrv_port

    def broker_addr(self, n):
        return "127.0.0.1:%d" % self.ports[n]

    def node_dir(self, n):
        return os.path.join(self.cluster_dir, n)

    def pid(self, n):
        try:
            with open(os.path.join(self.cluster_dir, n, "pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_is(pid, "raftmq-") else None

    def alive(self, n):
        return self.pid(n) is not None

    def signal(self, n, sig):
        pid = self.pid(n)
        if pid is None:
            return False
        os.kill(pid, sig)
        if sig == signal.SIGSTOP:
            self.paused.add(n)
        elif sig == signal.SIGCONT:
            self.paused.discard(n)
        return True

    def kill9(self, n):
        pid = self.pid(n)
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        self.paused.discard(n)
        deadline = time.time() + 10
        while _pid_is(pid, "raftmq-") and time.time() < deadline:
            time.sleep(0.05)

    def start_node(self, n, wait=False):
        """`scripts/cluster restart-node N` in the background (it waits for the catch-up itself)."""
        env = dict(os.environ, RMQ_BIN_DIR=self.bin_dir)
        p = subprocess.Popen([os.path.join(self.root, "scripts", "cluster"), "restart-node", n, "--dir",
                              self.cluster_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        deadline = time.time() + 30
        while self.pid(n) is None and time.time() < deadline:
            time.sleep(0.1)
        if wait:
            p.wait(timeout=120)

    def stop(self, n, timeout=20):
        if n in self.paused:
            self.signal(n, signal.SIGCONT)

    def status(self, timeout=8):
        return Cluster.status(self, timeout)

    def leader(self, status=None):
        return Cluster.leader(self, status)

    def wait_leader(self, timeout=60):
        return Cluster.wait_leader(self, timeout)
