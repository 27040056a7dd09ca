// dledger_node: one DLedger Raft member as a real process, for the process-level integration test
// and dledger_bench. It opens an EntryLog in --dir, joins the group over RemotingTransport on its
// DLedger port (its own entry in --peers) and serves a client port:
//   21001 APPEND  body = entry bytes; answered once committed: code 0 with extFields index/term,
//                 or 14 SERVICE_NOT_AVAILABLE, remark "not leader; leader is N" (0: none known)
//                 or the error (e.g. leadership lost before commit: the entry may still commit).
//   21002 STATUS  body = {"id","role","term","leader","commit","last","serving"} (JSON).
//   21003 DIGEST  extField upto=N: extField digest = hex crc32 chained over entries 1..N (each
//                 entry's term (8 bytes BE), index (8), type (1), then body); needs commit >= N.
// Role changes are logged with a wall timestamp (failover timelines). SIGTERM/SIGINT: clean stop,
// EntryLog closed. --digest_only prints the digest of a stopped node's log and exits.
#include "common/bytes.h"
#include "common/clock.h"
#include "common/crc32.h"
#include "common/executor.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/thread_pool.h"
#include "dledger/entry_log.h"
#include "dledger/net/raft_node.h"
#include "dledger/net/transport.h"
#include "remoting/server.h"
#include "store/file_system.h"

#include <gflags/gflags.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

DEFINE_int32(id, 0, "this member's node id (>= 1)");
DEFINE_string(peers, "", "every member's DLedger address: \"1=127.0.0.1:40911,2=...,3=...\"");
DEFINE_int32(client_port, 0, "client-facing remoting port (APPEND, STATUS, DIGEST)");
DEFINE_string(bind, "127.0.0.1", "address the DLedger and client ports bind to");
DEFINE_string(dir, "", "EntryLog directory");
DEFINE_bool(sync_flush, false, "fdatasync before acknowledging entries");
DEFINE_int32(tick_ms, 50, "one Raft tick in milliseconds");
DEFINE_int32(election_ticks, 20, "election timeout in ticks (randomized in [n, 2n))");
DEFINE_int32(heartbeat_ticks, 1, "heartbeat interval in ticks");
DEFINE_uint64(max_inflight_bytes, 0,
              "RaftConfig::max_inflight_bytes per follower (0: the library default)");
DEFINE_uint64(data_file_size, 64ull << 20, "data segment size; identical on every member");
DEFINE_uint64(index_file_size, 32ull << 20, "index segment size (a multiple of 32)");
DEFINE_bool(digest_only, false, "open --dir, print the digest of entries 1..--upto, exit");
DEFINE_int64(upto, 0, "--digest_only: last entry to digest (0: the whole log)");
DEFINE_string(log_level, "info", "trace, debug, info, warn, error");

namespace {

using namespace rmq;
using dledger::EntryLog;
using dledger::LogIndex;
using dledger::NodeId;
using remoting::RemotingCommand;
using remoting::ResponseCode;

constexpr int32_t kAppendCode = 21001;
constexpr int32_t kStatusCode = 21002;
constexpr int32_t kDigestCode = 21003;

std::shared_ptr<spdlog::logger> node_logger() { return common::logger("tools"); }

// "1=h:p,2=h:p" -> {1: "h:p", 2: "h:p"}; empty on a malformed list.
std::map<NodeId, std::string> parse_peers(const std::string& list) {
  std::map<NodeId, std::string> out;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) return {};
    const long id = std::strtol(item.substr(0, eq).c_str(), nullptr, 10);
    if (id <= 0) return {};
    out[NodeId(static_cast<uint32_t>(id))] = item.substr(eq + 1);
  }
  return out;
}

uint16_t port_of(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  return static_cast<uint16_t>(std::strtoul(address.c_str() + colon + 1, nullptr, 10));
}

std::string hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

// The DIGEST chain over entries 1..upto. Committed entries cannot be truncated, so reading them
// while the node thread appends past them is allowed (entry_log.h).
common::Result<uint32_t> digest(const dledger::LogStorage& log, LogIndex upto) {
  uint32_t crc = 0;
  LogIndex next(1);
  while (next <= upto) {
    auto batch = log.entries(next, upto.next(), 4u << 20);
    if (!batch.ok()) return batch.status();
    if (batch->empty())
      return common::Status::internal("empty read at " + std::to_string(next.value()));
    for (const dledger::Entry& e : *batch) {
      uint8_t head[17];
      common::store_be<uint64_t>(head, e.term.value());
      common::store_be<int64_t>(head + 8, e.index.value());
      head[16] = static_cast<uint8_t>(e.type);
      crc = common::crc32(head, sizeof(head), crc);
      if (e.data) crc = common::crc32(e.data->data(), e.data->size(), crc);
      next = e.index.next();
    }
  }
  return crc;
}

dledger::EntryLogOptions log_options() {
  dledger::EntryLogOptions o;
  o.dir = FLAGS_dir;
  o.data_file_size = FLAGS_data_file_size;
  o.index_file_size = FLAGS_index_file_size;
  return o;
}

int digest_only() {
  EntryLog entry_log(store::posix_file_system(), log_options());
  if (auto st = entry_log.open(); !st.is_ok()) {
    std::fprintf(stderr, "open %s: %s\n", FLAGS_dir.c_str(), st.to_string().c_str());
    return 1;
  }
  const LogIndex upto = FLAGS_upto > 0 ? LogIndex(FLAGS_upto) : entry_log.last_index();
  if (upto > entry_log.last_index()) {
    std::fprintf(stderr, "upto %lld is past the last entry %lld\n",
                 static_cast<long long>(upto.value()),
                 static_cast<long long>(entry_log.last_index().value()));
    (void)entry_log.close();
    return 1;
  }
  auto d = digest(entry_log, upto);
  std::printf("digest=%s upto=%lld last=%lld commit=%lld\n", d.ok() ? hex32(*d).c_str() : "error",
              static_cast<long long>(upto.value()),
              static_cast<long long>(entry_log.last_index().value()),
              static_cast<long long>(entry_log.hard_state().commit.value()));
  if (!d.ok()) std::fprintf(stderr, "digest: %s\n", d.status().to_string().c_str());
  return entry_log.close().is_ok() && d.ok() ? 0 : 1;
}

// APPEND: proposes on the InlineExecutor (the I/O thread) and answers from the commit callback.
class AppendProcessor final : public remoting::RequestProcessor {
 public:
  explicit AppendProcessor(dledger::net::RaftNode& node) : node_(node) {}
  void process(const remoting::RequestContext&, RemotingCommand request,
               remoting::Responder responder) override {
    auto data = std::make_shared<const std::string>(request.body.str());
    node_.propose(dledger::EntryType::kMessage, std::move(data),
                  [responder](common::Result<dledger::net::Committed> r) {
                    if (r.ok()) {
                      RemotingCommand resp;
                      resp.code = static_cast<int32_t>(ResponseCode::kSuccess);
                      resp.ext_fields.set("index", r->index.value());
                      resp.ext_fields.set("term", static_cast<int64_t>(r->term.value()));
                      responder.respond(std::move(resp));
                      return;
                    }
                    responder.respond(error_response(r.status()));
                  });
  }

 private:
  // Raft says "not the leader; leader is N" or "...; no leader known".
  static RemotingCommand error_response(const common::Status& st) {
    RemotingCommand resp;
    resp.code = static_cast<int32_t>(ResponseCode::kServiceNotAvailable);
    const std::string msg(st.message());
    if (msg.rfind("not the leader", 0) == 0) {
      const size_t at = msg.find("leader is ");
      resp.remark =
          at == std::string::npos ? "not leader; leader is 0" : "not leader; " + msg.substr(at);
    } else {
      resp.remark = st.to_string();
    }
    return resp;
  }

  dledger::net::RaftNode& node_;
};

class StatusProcessor final : public remoting::RequestProcessor {
 public:
  StatusProcessor(dledger::net::RaftNode& node, NodeId id) : node_(node), id_(id) {}
  void process(const remoting::RequestContext&, RemotingCommand request,
               remoting::Responder responder) override {
    const dledger::net::NodeStatus s = node_.status();
    common::Json j = common::Json::object();
    j.set("id", common::Json::number(id_.value()));
    j.set("role", common::Json::string(dledger::to_string(s.soft.role)));
    j.set("term", common::Json::number(static_cast<int64_t>(s.soft.term.value())));
    j.set("leader", common::Json::number(s.soft.leader.value()));
    j.set("commit", common::Json::number(s.commit.value()));
    j.set("last", common::Json::number(s.last_index.value()));
    j.set("serving", common::Json::boolean(s.serving));
    auto resp = RemotingCommand::response_to(request, ResponseCode::kSuccess);
    resp.body = common::Buffer(j.dump());
    responder.respond(std::move(resp));
  }

 private:
  dledger::net::RaftNode& node_;
  const NodeId id_;
};

class DigestProcessor final : public remoting::RequestProcessor {
 public:
  DigestProcessor(dledger::net::RaftNode& node, const EntryLog& log) : node_(node), log_(log) {}
  void process(const remoting::RequestContext&, RemotingCommand request,
               remoting::Responder responder) override {
    const auto upto = request.ext_int("upto");
    const LogIndex commit = node_.commit_index();
    if (!upto || *upto < 0) {
      responder.respond(RemotingCommand::response_to(request, ResponseCode::kInvalidParameter,
                                                     "extField upto=<index> required"));
      return;
    }
    if (LogIndex(*upto) > commit) {
      responder.respond(RemotingCommand::response_to(
          request, ResponseCode::kServiceNotAvailable,
          "commit " + std::to_string(commit.value()) + " is below upto " + std::to_string(*upto)));
      return;
    }
    auto d = digest(log_, LogIndex(*upto));
    if (!d.ok()) {
      responder.respond(RemotingCommand::response_to(request, ResponseCode::kSystemError,
                                                     d.status().to_string()));
      return;
    }
    auto resp = RemotingCommand::response_to(request, ResponseCode::kSuccess);
    resp.ext_fields.set("digest", hex32(*d));
    resp.ext_fields.set("upto", *upto);
    responder.respond(std::move(resp));
  }

 private:
  dledger::net::RaftNode& node_;
  const EntryLog& log_;
};

int run_node() {
  const auto peers = parse_peers(FLAGS_peers);
  const NodeId self(static_cast<uint32_t>(FLAGS_id));
  if (peers.empty() || peers.count(self) == 0 || FLAGS_dir.empty() || FLAGS_client_port <= 0) {
    std::fprintf(stderr, "need --id, --peers naming it, --dir and --client_port\n");
    return 2;
  }

  // Every thread inherits this mask; the main thread takes the signals with sigwait().
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EntryLog entry_log(store::posix_file_system(), log_options());
  if (auto st = entry_log.open(); !st.is_ok()) {
    node_logger()->critical("open entry log {}: {}", FLAGS_dir, st.to_string());
    return 1;
  }

  common::Clock& clock = common::SteadyClock::instance();
  dledger::net::RemotingTransportOptions to;
  to.bind_address = FLAGS_bind;
  to.port = port_of(peers.at(self));
  to.peers = peers;
  dledger::net::RemotingTransport transport(to, clock);
  if (auto st = transport.start(); !st.is_ok()) {
    node_logger()->critical("dledger port: {}", st.to_string());
    return 1;
  }

  dledger::net::RaftNodeOptions no;
  no.raft.id = self;
  for (const auto& [id, addr] : peers) no.raft.peers.push_back(id);
  no.raft.election_ticks = FLAGS_election_ticks;
  no.raft.heartbeat_ticks = FLAGS_heartbeat_ticks;
  if (FLAGS_max_inflight_bytes > 0) no.raft.max_inflight_bytes = FLAGS_max_inflight_bytes;
  no.tick = std::chrono::milliseconds(FLAGS_tick_ms);
  no.sync_flush = FLAGS_sync_flush;
  no.name = "n" + std::to_string(self.value());
  dledger::net::RaftNode node(no, entry_log, transport);
  node.set_role_listener([&clock, self](const dledger::SoftState& s) {
    node_logger()->info("ROLE wall_ms={} id={} role={} term={} leader={}", clock.wall_ms(),
                        self.value(), dledger::to_string(s.role), s.term.value(), s.leader.value());
  });

  remoting::ServerOptions so;
  so.bind_address = FLAGS_bind;
  so.port = static_cast<uint16_t>(FLAGS_client_port);
  so.endpoint.name = "client-srv";
  so.endpoint.io_threads = 1;
  remoting::Server server(so, clock);
  auto inline_exec = std::make_shared<common::InlineExecutor>();
  // STATUS waits for the node thread and DIGEST reads the whole log: not on the I/O thread.
  auto admin_pool = std::make_shared<common::ThreadPool>("admin", 1, 1024);
  server.registry().register_processor(kAppendCode, std::make_shared<AppendProcessor>(node),
                                       inline_exec);
  server.registry().register_processor(kStatusCode, std::make_shared<StatusProcessor>(node, self),
                                       admin_pool);
  server.registry().register_processor(
      kDigestCode, std::make_shared<DigestProcessor>(node, entry_log), admin_pool);

  node.start();
  if (auto st = server.start(); !st.is_ok()) {
    node_logger()->critical("client port: {}", st.to_string());
    node.stop();
    transport.stop();
    return 1;
  }
  node_logger()->info(
      "node {} up: dledger port {}, client port {}, dir {}, last index {}, sync_flush={}",
      self.value(), transport.port(), server.port(), FLAGS_dir, entry_log.last_index().value(),
      FLAGS_sync_flush);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  node_logger()->info("node {} stopping on signal {}", self.value(), sig);
  // Clients first (no new proposals), then the peers' link (nothing calls the node's receiver
  // once the transport's I/O threads are joined), then the node thread; the log last.
  server.stop();
  admin_pool->stop();
  transport.stop();
  node.stop();
  if (auto st = entry_log.close(); !st.is_ok()) {
    node_logger()->error("close entry log: {}", st.to_string());
    return 1;
  }
  node_logger()->info("node {} stopped cleanly", self.value());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("one DLedger Raft member: dledger_node --id=1 --peers=... --dir=...");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  common::LoggingOptions lo;
  lo.level = FLAGS_log_level;
  common::init_logging(lo);
  return FLAGS_digest_only ? digest_only() : run_node();
}
