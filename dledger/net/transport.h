// RaftTransport: how a RaftNode reaches its peers. RemotingTransport sends batches of Raft
// messages as oneway remoting frames (request code kRaftMessages) on the DLedger port; the
// receiving side decodes them on its I/O thread and hands them to the node. Thread-safe.
#pragma once

#include "common/clock.h"
#include "dledger/types.h"
#include "remoting/client.h"
#include "remoting/server.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rmq::dledger::net {

inline constexpr int32_t kRaftMessages = remoting::kRaftmqCodeBase + 1;

class RaftTransport {
 public:
  using Receiver = std::function<void(std::vector<Message>)>;
  virtual ~RaftTransport() = default;
  virtual void send(NodeId to, std::vector<Message> batch) = 0;
  virtual void set_receiver(Receiver r) = 0;
  // The single thread (as an io_context) on which the receiver is called, if there is one: the
  // node then runs there too, so a message goes from the socket into Raft and back without a
  // thread switch. nullptr: the node runs its own thread.
  virtual boost::asio::io_context* receiver_context() { return nullptr; }
};

struct RemotingTransportOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 0;                    // the DLedger port (0: pick one; see port())
  std::map<NodeId, std::string> peers;  // id -> "host:port" (this node may be listed too)
  size_t io_threads = 1;                // 1: the node can share the thread (receiver_context())
  common::Duration idle_spin{0};        // remoting::EndpointOptions::idle_spin of its I/O threads
  // A peer we send to but have not heard from for this long gets a fresh connection (at most
  // once per this period): after a partition heals, a connection whose packets were dropped
  // would otherwise wait out TCP's retransmission back-off (seconds) before it carries again.
  common::Duration reconnect_after_silence = std::chrono::seconds(1);
};

class RemotingTransport final : public RaftTransport {
 public:
  RemotingTransport(RemotingTransportOptions options, common::Clock& clock);
  ~RemotingTransport() override;

  [[nodiscard]] common::Status start();
  void stop();
  uint16_t port() const { return server_.port(); }
  void set_peer_address(NodeId id, std::string address);

  void send(NodeId to, std::vector<Message> batch) override;
  void set_receiver(Receiver r) override;
  boost::asio::io_context* receiver_context() override {
    return single_io_thread_ ? &server_.io_context(0) : nullptr;
  }
  // Called by the transport's I/O thread with a decoded batch.
  void deliver(std::vector<Message> batch);

 private:
  struct Link {
    common::TimePoint last_heard;  // a batch from this peer arrived
    common::TimePoint last_reset;  // its connection was last replaced
  };
  common::Clock& clock_;
  const common::Duration reconnect_after_;
  std::map<NodeId, std::string> peers_;
  std::map<NodeId, Link> links_;  // GUARDED_BY(peers_mu_)
  std::mutex peers_mu_;
  bool single_io_thread_ = true;
  remoting::Server server_;
  remoting::Client client_;
  std::shared_ptr<const Receiver> receiver_;  // swapped atomically (std::atomic_load/store)
};

// A frame carries at most this many payload bytes; larger batches are split (the remoting frame
// limit is 16 MiB).
inline constexpr size_t kMaxFramePayload = 4u << 20;

}  // namespace rmq::dledger::net
