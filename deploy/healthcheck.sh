#!/usr/bin/env bash
# Health of one raftmq broker node, used by deploy/docker-compose*.yml (healthcheck) and by
# scripts/cluster (start, restart-node). Exit 0 when the node answers, knows the leader of its
# Raft group and, if it is that leader, serves: it has committed an entry of its own term and
# accepts writes (raftServing, brokerActive); a classic master/slave node (scripts/cluster-ha)
# when it answers and, a master, accepts writes. Otherwise exit 1 with the reason on stdout.
#
# Usage: healthcheck.sh [BROKER_ADDR]          default 127.0.0.1:10911
# Environment: RAFTMQ_CLI  the raftmq CLI binary (default: raftmq on PATH)
set -euo pipefail

addr="${1:-127.0.0.1:10911}"
cli="${RAFTMQ_CLI:-raftmq}"

if ! out="$("$cli" brokerStatus --broker_addr="$addr" --json 2>&1)"; then
  echo "unhealthy: $addr does not answer: $out"
  exit 1
fi

# brokerStatus --json is one flat object of strings: {"raftRole":"LEADER",...}
field() {
  local re="\"$1\":\"([^\"]*)\""
  if [[ "$out" =~ $re ]]; then echo "${BASH_REMATCH[1]}"; fi
}

role="$(field raftRole)"
leader="$(field raftLeaderId)"
# A classic master/slave node (brokerRole, no Raft): healthy once it answers; a master must also
# accept writes.
brole="$(field brokerRole)"
if [[ -z "$role" && -n "$brole" ]]; then
  if [[ "$brole" != SLAVE && "$(field brokerActive)" != "true" ]]; then
    echo "unhealthy: $addr ($brole) does not accept writes"
    exit 1
  fi
  echo "healthy: $addr $brole brokerId $(field brokerId)"
  exit 0
fi
if [[ -z "$role" ]]; then
  echo "unhealthy: $addr is not a DLedger node (no raftRole)"
  exit 1
fi
if [[ -z "$leader" ]]; then
  echo "unhealthy: $addr ($(field raftSelfId), $role, term $(field raftTerm)) knows no leader"
  exit 1
fi
if [[ "$role" == "LEADER" && ("$(field raftServing)" != "true" || "$(field brokerActive)" != "true") ]]; then
  echo "unhealthy: $addr is the leader but does not serve yet"
  exit 1
fi
echo "healthy: $addr $(field raftSelfId) $role term $(field raftTerm) leader $leader"
