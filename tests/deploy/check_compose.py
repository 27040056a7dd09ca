#!/usr/bin/env python3
"""Checks deploy/docker-compose.yml (alone, with docker-compose.group2.yml and with the classic
master/slave overlay docker-compose.ha.yml) against the config files it mounts. Python 3 standard
library only.

For each compose file set, `docker-compose ... config` must succeed; its normalized output is then
parsed and checked:
  - every service's --config file is mounted read-only from a file that exists, and the base file
    mounts exactly the files scripts/cluster uses (deploy/conf/namesrv.conf, broker-n1..3.conf);
  - brokers share the namesrv's network namespace (network_mode service:namesrv) and publish
    nothing themselves; the namesrv service publishes, host port = container port, every
    listenPort and metricsPort of the files (and nothing else), on the host's 127.0.0.1 or 0.0.0.0;
  - under that layout the addresses in the files are reachable: brokerIP1 is 127.0.0.1 (a host
    client reaches it through the published ports), namesrvAddr is 127.0.0.1:<namesrv listenPort>,
    dLegerPeers are 127.0.0.1 addresses that match the group's files; no two processes in the
    shared namespace listen on the same port; metricsPort = listenPort + 2; a classic master/slave
    group (enableDLegerCommitLog=false) has one master with brokerId 0, slaves with distinct
    brokerIds >= 1, the master's haListenPort (listenPort + 1 by default) among the listeners and
    every slave's haMasterAddress, when set, naming it at 127.0.0.1;
  - every broker keeps its data (--storePathRootDir) in its own named volume and its healthcheck
    names its own listenPort.
Then the checks are run against deliberately broken copies of the parsed config (a port not
published, brokerIP1 of a container, a missing mount...) and must find each fault.

Usage: check_compose.py REPO_ROOT      exit 0 ok, 1 failures, 77 docker-compose not installed
"""
import copy
import os
import re
import shutil
import subprocess
import sys

LOOPBACK = "127.0.0.1"
SCRIPT_CONFS = ["namesrv.conf", "broker-n1.conf", "broker-n2.conf", "broker-n3.conf"]


# ---- a minimal YAML reader for `docker-compose config` output ------------------------------------
# That output is block style only: "key: value", "key:" + indented block, "- item" lists (at the
# key's indentation or deeper), "{}", and quoted scalars. Anything else raises ValueError.

def parse_yaml(text):
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lines.append([len(raw) - len(raw.lstrip(" ")), stripped])
    pos = 0

    def scalar(s):
        if s == "{}":
            return {}
        if s == "[]":
            return []
        if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
            return s[1:-1].replace("''", "'") if s[0] == "'" else s[1:-1]
        return s

    def is_item(text):
        return text == "-" or text.startswith("- ")

    def block(indent):
        return seq(indent) if is_item(lines[pos][1]) else mapping(indent)

    def mapping(indent):
        nonlocal pos
        out = {}
        while pos < len(lines) and lines[pos][0] == indent and not is_item(lines[pos][1]):
            m = re.match(r"^([^:]+):(?: (.*))?$", lines[pos][1])
            if not m:
                raise ValueError("cannot parse YAML line: " + lines[pos][1])
            key, rest = scalar(m.group(1).strip()), (m.group(2) or "").strip()
            pos += 1
            if rest:
                out[key] = scalar(rest)
            elif pos < len(lines) and (lines[pos][0] > indent or
                                       (lines[pos][0] == indent and is_item(lines[pos][1]))):
                out[key] = block(lines[pos][0])
            else:
                out[key] = None
        return out

    def seq(indent):
        nonlocal pos
        out = []
        while pos < len(lines) and lines[pos][0] == indent and is_item(lines[pos][1]):
            item = lines[pos][1][1:].strip()
            if re.match(r"^[A-Za-z_][\w.-]*:( |$)", item):  # "- key: value" starts a mapping
                lines[pos] = [indent + 2, item]
                out.append(mapping(indent + 2))
            else:
                pos += 1
                out.append(scalar(item))
        return out

    result = block(lines[0][0]) if lines else {}
    if pos != len(lines):
        raise ValueError("unparsed YAML from: " + lines[pos][1])
    return result


def read_properties(path):
    props = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#!":
                continue
            key, sep, value = line.partition("=")
            if sep:
                props[key.strip()] = value.strip()
    return props


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port) if port.isdigit() else -1


# ---- the checks ----------------------------------------------------------------------------------

def flag_value(command, name):
    for arg in command or []:
        if arg.startswith("--" + name + "="):
            return arg.split("=", 1)[1]
    return None


def parse_volume(spec):
    """'src:target[:mode]' -> (src, target, mode)."""
    parts = spec.split(":")
    if len(parts) == 2:
        return parts[0], parts[1], "rw"
    return parts[0], parts[1], parts[2]


def parse_port(spec):
    """'[ip:]host:container[/proto]' -> (ip, host, container)."""
    spec = spec.split("/")[0]
    parts = spec.split(":")
    if len(parts) == 3:
        return parts[0], int(parts[1]), int(parts[2])
    if len(parts) == 2:
        return "0.0.0.0", int(parts[0]), int(parts[1])
    return "0.0.0.0", None, int(parts[0])


def check(config, confs, conf_dir, base_only):
    """Returns a list of problems. `confs` maps a host conf path to its properties."""
    errors = []
    services = config.get("services") or {}
    if "namesrv" not in services:
        return ["no namesrv service"]
    listeners = {}  # port -> "service key", everything listening in the shared namespace
    published = {}  # container port -> (host ip, host port)

    def listen(port, what):
        if port in listeners:
            errors.append(f"port {port}: {what} and {listeners[port]} both listen on it in the "
                          "shared network namespace")
        listeners[port] = what

    for spec in services["namesrv"].get("ports") or []:
        ip, host, target = parse_port(spec)
        published[target] = (ip, host)

    brokers = {}  # service -> properties
    namesrv_props = None
    mounted = set()
    for name, svc in sorted(services.items()):
        command = svc.get("command") or []
        conf_target = flag_value(command, "config")
        if conf_target is None:
            errors.append(f"{name}: command has no --config=FILE")
            continue
        conf_src = None
        for spec in svc.get("volumes") or []:
            src, target, mode = parse_volume(spec)
            if target == conf_target:
                conf_src = src
                if mode != "ro":
                    errors.append(f"{name}: {conf_target} is mounted '{mode}', not read-only")
        if conf_src is None:
            errors.append(f"{name}: its config {conf_target} is not mounted from deploy/conf")
            continue
        if conf_src not in confs:
            errors.append(f"{name}: mounted config {conf_src} does not exist")
            continue
        mounted.add(conf_src)
        props = confs[conf_src]
        if name == "namesrv":
            namesrv_props = props
            if svc.get("network_mode"):
                errors.append("namesrv: must own the network (no network_mode)")
            continue
        brokers[name] = props
        if svc.get("network_mode") != "service:namesrv":
            errors.append(f"{name}: network_mode is {svc.get('network_mode')!r}, not "
                          "'service:namesrv' (its 127.0.0.1 addresses would not reach the others)")
        if svc.get("ports"):
            errors.append(f"{name}: publishes ports itself; in the shared namespace only the "
                          "namesrv service can")
        store = flag_value(command, "storePathRootDir")
        vols = [parse_volume(v) for v in svc.get("volumes") or []]
        data = [v for v in vols if v[1] == store]
        if store is None or not data:
            errors.append(f"{name}: no volume for its data dir (--storePathRootDir={store})")
        elif data[0][0].startswith("/"):
            errors.append(f"{name}: data dir {store} is a bind mount, not a named volume")
        test = " ".join((svc.get("healthcheck") or {}).get("test") or [])
        if f"{LOOPBACK}:{props.get('listenPort')}" not in test:
            errors.append(f"{name}: healthcheck '{test}' does not check its own port "
                          f"{props.get('listenPort')}")

    if namesrv_props is None:
        return errors + ["namesrv: no usable config"]
    if base_only:
        expected = {os.path.join(conf_dir, c) for c in SCRIPT_CONFS}
        if mounted != expected:
            errors.append(f"the base compose file must mount the files scripts/cluster uses: "
                          f"{sorted(expected)}, it mounts {sorted(mounted)}")

    ns_port = int(namesrv_props.get("listenPort", "9876"))
    listen(ns_port, "namesrv listenPort")
    ports_to_publish = {ns_port: "namesrv listenPort"}
    if "metricsPort" in namesrv_props:
        listen(int(namesrv_props["metricsPort"]), "namesrv metricsPort")
        ports_to_publish[int(namesrv_props["metricsPort"])] = "namesrv metricsPort"

    classic = {}  # brokerName -> {service: properties}, classic master/slave groups
    groups = {}  # dLegerGroup -> {selfId: (service, raft port)}
    peer_lists = {}  # dLegerGroup -> set of dLegerPeers strings
    for name, props in sorted(brokers.items()):
        port = int(props.get("listenPort", "10911"))
        listen(port, f"{name} listenPort")
        ports_to_publish[port] = f"{name} listenPort"
        if "metricsPort" not in props:
            errors.append(f"{name}: no metricsPort")
        else:
            mport = int(props["metricsPort"])
            listen(mport, f"{name} metricsPort")
            ports_to_publish[mport] = f"{name} metricsPort"
            if mport != port + 2:
                errors.append(f"{name}: metricsPort {mport} is not listenPort + 2 ({port + 2})")
        if props.get("brokerIP1") != LOOPBACK:
            errors.append(f"{name}: brokerIP1={props.get('brokerIP1')}: clients on the host reach "
                          f"the brokers only as {LOOPBACK} (published ports)")
        host, nport = split_addr(props.get("namesrvAddr", ""))
        if host != LOOPBACK or nport != ns_port:
            errors.append(f"{name}: namesrvAddr={props.get('namesrvAddr')} is not "
                          f"{LOOPBACK}:{ns_port} (the namesrv in the shared namespace)")
        if props.get("enableDLegerCommitLog") == "false":
            classic.setdefault(props.get("brokerName", ""), {})[name] = props
            if props.get("brokerRole", "ASYNC_MASTER") != "SLAVE":
                listen(int(props.get("haListenPort", str(port + 1))), f"{name} haListenPort")
            continue
        if props.get("enableDLegerCommitLog") != "true":
            errors.append(f"{name}: enableDLegerCommitLog is not true")
        group = props.get("dLegerGroup", "")
        if group != props.get("brokerName"):
            errors.append(f"{name}: dLegerGroup {group} differs from brokerName "
                          f"{props.get('brokerName')}")
        peers = {}
        for part in filter(None, props.get("dLegerPeers", "").split(";")):
            node, _, addr = part.partition("-")
            peers[node] = split_addr(addr)
        self_id = props.get("dLegerSelfId", "")
        if self_id not in peers:
            errors.append(f"{name}: dLegerSelfId {self_id} is not among dLegerPeers")
            continue
        for node, (phost, _) in peers.items():
            if phost != LOOPBACK:
                errors.append(f"{name}: peer {node} at {phost} is not {LOOPBACK}")
        groups.setdefault(group, {})[self_id] = (name, peers[self_id][1])
        peer_lists.setdefault(group, set()).add(props.get("dLegerPeers"))
        listen(peers[self_id][1], f"{name} Raft port")

    for group, members in sorted(groups.items()):
        if len(peer_lists[group]) != 1:
            errors.append(f"group {group}: its files disagree on dLegerPeers: "
                          f"{sorted(peer_lists[group])}")
        peers = {}
        for part in filter(None, sorted(peer_lists[group])[0].split(";")):
            node, _, addr = part.partition("-")
            peers[node] = split_addr(addr)[1]
        if set(peers) != set(members):
            errors.append(f"group {group}: dLegerPeers name {sorted(peers)} but the services "
                          f"are {sorted(members)}")

    for group, members in sorted(classic.items()):
        masters = {n: p for n, p in members.items() if p.get("brokerRole", "ASYNC_MASTER") != "SLAVE"}
        if len(masters) != 1:
            errors.append(f"classic group {group}: {len(masters)} masters ({sorted(masters)})")
            continue
        mname, mprops = next(iter(masters.items()))
        if mprops.get("brokerId", "0") != "0":
            errors.append(f"{mname}: a master needs brokerId 0, not {mprops.get('brokerId')}")
        ha = f"{LOOPBACK}:{mprops.get('haListenPort', int(mprops.get('listenPort', '10911')) + 1)}"
        ids = {}
        for n, p in sorted(members.items()):
            if n == mname:
                continue
            bid = p.get("brokerId", "0")
            if not bid.isdigit() or int(bid) < 1:
                errors.append(f"{n}: a SLAVE needs brokerId >= 1, not {bid}")
            elif bid in ids:
                errors.append(f"{n}: brokerId {bid} is also {ids[bid]}'s")
            ids[bid] = n
            if p.get("haMasterAddress") and p.get("haMasterAddress") != ha:
                errors.append(f"{n}: haMasterAddress={p.get('haMasterAddress')} is not the "
                              f"master's HA address {ha}")

    for port, what in sorted(ports_to_publish.items()):
        if port not in published:
            errors.append(f"{what} {port} is not published by the namesrv service")
            continue
        ip, host = published[port]
        if host != port:
            errors.append(f"{what} {port} is published as host port {host}: brokerIP1 routes "
                          "tell clients the container port")
        if ip not in (LOOPBACK, "0.0.0.0"):
            errors.append(f"{what} {port} is published on {ip}, not reachable as {LOOPBACK}")
    for port in sorted(set(published) - set(ports_to_publish)):
        errors.append(f"port {port} is published but nothing in the config files listens on it")
    return errors


# ---- driver --------------------------------------------------------------------------------------

def compose_config(root, files):
    cmd = ["docker-compose"]
    for f in files:
        cmd += ["-f", os.path.join(root, "deploy", f)]
    cmd.append("config")
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return parse_yaml(r.stdout)


def load_confs(conf_dir):
    confs = {}
    for dirpath, _, names in os.walk(conf_dir):
        for n in names:
            if n.endswith(".conf"):
                confs[os.path.join(dirpath, n)] = read_properties(os.path.join(dirpath, n))
    return confs


def mutations(config, confs):
    """(description, expected text, broken config, broken confs): check() must report it."""
    out = []
    ns = "namesrv"
    c = copy.deepcopy(config)
    c["services"][ns]["ports"] = [p for p in c["services"][ns]["ports"] if ":10921:" not in p]
    out.append(("n2's listenPort not published", "10921 is not published", c, confs))
    c = copy.deepcopy(config)
    c["services"][ns]["ports"].append("127.0.0.1:10999:10999/tcp")
    out.append(("a stray published port", "10999 is published but", c, confs))
    c = copy.deepcopy(config)
    c["services"][ns]["ports"] = [p.replace("10911:10911", "20911:10911")
                                  for p in c["services"][ns]["ports"]]
    out.append(("host port differs from the container port", "as host port 20911", c, confs))
    c = copy.deepcopy(config)
    del c["services"]["broker-n3"]["network_mode"]
    out.append(("a broker on its own network", "broker-n3: network_mode", c, confs))
    c = copy.deepcopy(config)
    c["services"]["broker-n1"]["volumes"] = [v for v in c["services"]["broker-n1"]["volumes"]
                                             if not v.endswith(":ro")]
    out.append(("config not mounted", "is not mounted", c, confs))
    c = copy.deepcopy(config)
    c["services"]["broker-n1"]["volumes"] = [v.replace(":ro", ":rw")
                                             for v in c["services"]["broker-n1"]["volumes"]]
    out.append(("config mounted read-write", "not read-only", c, confs))
    c = copy.deepcopy(config)
    c["services"]["broker-n2"]["healthcheck"]["test"] = ["CMD", "raftmq-healthcheck",
                                                         "127.0.0.1:10911"]
    out.append(("healthcheck of another node", "does not check its own port", c, confs))
    for key, value, what, expect in [
            ("brokerIP1", "172.18.0.3", "brokerIP1 of a container network", "brokerIP1=172"),
            ("namesrvAddr", "namesrv:9876", "namesrvAddr by service name", "namesrvAddr="),
            ("metricsPort", "10922", "metricsPort not listenPort + 2", "not listenPort + 2"),
            ("listenPort", "10931", "two brokers on one port", "both listen on it"),
            ("dLegerSelfId", "n4", "self id not among the peers", "not among dLegerPeers"),
            ("dLegerPeers", "n1-127.0.0.1:40911;n2-127.0.0.1:40912", "peer lists disagree",
             "disagree on dLegerPeers")]:
        broken = copy.deepcopy(confs)
        n2 = [p for p in broken if p.endswith(os.sep + "conf" + os.sep + "broker-n2.conf")][0]
        broken[n2][key] = value
        out.append((what, expect, config, broken))
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = os.path.abspath(sys.argv[1])
    if shutil.which("docker-compose") is None:
        print("check_compose: docker-compose is not installed (scripts/install-deps); skipped")
        return 77
    conf_dir = os.path.join(root, "deploy", "conf")
    confs = load_confs(conf_dir)
    failures = 0
    base = None
    ha_config = None
    for files in (["docker-compose.yml"], ["docker-compose.yml", "docker-compose.group2.yml"],
                  ["docker-compose.yml", "docker-compose.ha.yml"]):
        label = " + ".join(files)
        try:
            config = compose_config(root, files)
        except (RuntimeError, ValueError) as e:
            print(f"FAIL {label}: {e}")
            failures += 1
            continue
        errors = check(config, confs, conf_dir, base_only=len(files) == 1)
        for e in errors:
            print(f"FAIL {label}: {e}")
        failures += len(errors)
        services = sorted(config.get("services", {}))
        if not errors:
            print(f"ok   {label}: {len(services)} services ({', '.join(services)}), ports match "
                  "the config files")
        if len(files) == 1:
            base = config
        if "docker-compose.ha.yml" in files:
            ha_config = config
    if base is not None:
        for what, expect, config, broken_confs in mutations(base, confs):
            errors = check(config, broken_confs, conf_dir, base_only=True)
            found = [e for e in errors if expect in e]
            if found:
                print(f"ok   finds a broken layout ({what}): {found[0]}")
            else:
                print(f"FAIL the checker misses a broken layout: {what} (got {errors})")
                failures += 1
    if ha_config is not None:
        for key, value, what, expect in [
                ("haMasterAddress", "127.0.0.1:11999", "a slave pointing elsewhere",
                 "haMasterAddress=127.0.0.1:11999"),
                ("brokerId", "2", "two slaves with one brokerId", "is also"),
                ("brokerRole", "SYNC_MASTER", "two masters", "2 masters"),
                ("listenPort", "11911", "a slave on the master's port", "both listen on it")]:
            broken = copy.deepcopy(confs)
            s1 = [p for p in broken if p.endswith(os.sep + "ha" + os.sep + "broker-s1.conf")][0]
            broken[s1][key] = value
            errors = check(ha_config, broken, conf_dir, base_only=False)
            found = [e for e in errors if expect in e]
            if found:
                print(f"ok   finds a broken classic layout ({what}): {found[0]}")
            else:
                print(f"FAIL the checker misses a broken classic layout: {what} (got {errors})")
                failures += 1
    print(f"check_compose: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
