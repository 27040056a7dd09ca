#include "dledger/net/transport.h"

#include "common/executor.h"
#include "common/logging.h"
#include "dledger/net/message_codec.h"

namespace rmq::dledger::net {

namespace {

remoting::ServerOptions server_options(const RemotingTransportOptions& o) {
  remoting::ServerOptions so;
  so.bind_address = o.bind_address;
  so.port = o.port;
  so.endpoint.name = "dledger";
  so.endpoint.io_threads = o.io_threads;
  so.endpoint.idle_spin = o.idle_spin;
  so.endpoint.idle_timeout = std::chrono::seconds(0);  // peers keep their links
  return so;
}

remoting::ClientOptions client_options() {
  remoting::ClientOptions co;
  co.endpoint.name = "dledger-cli";
  co.endpoint.io_threads = 1;
  co.endpoint.idle_timeout = std::chrono::seconds(0);
  co.connect_timeout = std::chrono::seconds(1);
  // A link whose data went unacknowledged for 2 s (a partition) is aborted and opened afresh by
  // the next send, instead of staying in TCP's retransmission back-off after the partition heals:
  // jepsen saw a follower's link to the other follower stuck that way, so that after the leader
  // was paused their pre-votes took 3 s to get through.
  co.endpoint.connection.tcp_user_timeout = std::chrono::seconds(2);
  return co;
}

// Decodes a batch on the I/O thread and hands it to the node; never answers (oneway).
class RaftMessagesProcessor final : public remoting::RequestProcessor {
 public:
  explicit RaftMessagesProcessor(RemotingTransport& transport) : transport_(transport) {}
  void process(const remoting::RequestContext& ctx, remoting::RemotingCommand request,
               remoting::Responder) override {
    auto batch = decode_messages(request.body.view());
    if (!batch.ok()) {
      common::logger("dledger")->warn("dropping a raft batch from {}: {}", ctx.remote_address,
                                      batch.status().to_string());
      return;
    }
    transport_.deliver(std::move(batch).value());
  }

 private:
  RemotingTransport& transport_;
};

}  // namespace

RemotingTransport::RemotingTransport(RemotingTransportOptions options, common::Clock& clock)
    : clock_(clock),
      reconnect_after_(options.reconnect_after_silence),
      peers_(std::move(options.peers)),
      single_io_thread_(options.io_threads <= 1),
      server_(server_options(options), clock),
      client_(client_options(), clock) {
  server_.registry().register_processor(kRaftMessages,
                                        std::make_shared<RaftMessagesProcessor>(*this),
                                        std::make_shared<common::InlineExecutor>());
}

RemotingTransport::~RemotingTransport() { stop(); }

common::Status RemotingTransport::start() {
  RMQ_RETURN_IF_ERROR(server_.start());
  client_.start();
  return common::Status::ok();
}

void RemotingTransport::stop() {
  client_.stop();
  server_.stop();
}

void RemotingTransport::set_peer_address(NodeId id, std::string address) {
  std::lock_guard lock(peers_mu_);
  peers_[id] = std::move(address);
}

void RemotingTransport::set_receiver(Receiver r) {
  std::atomic_store(&receiver_, r ? std::make_shared<const Receiver>(std::move(r))
                                  : std::shared_ptr<const Receiver>());
}

void RemotingTransport::deliver(std::vector<Message> batch) {
  if (!batch.empty()) {
    const common::TimePoint now = clock_.now();
    std::lock_guard lock(peers_mu_);
    for (const Message& m : batch) links_[m.from].last_heard = now;
  }
  const auto receiver = std::atomic_load(&receiver_);
  if (receiver && *receiver) (*receiver)(std::move(batch));
}

void RemotingTransport::send(NodeId to, std::vector<Message> batch) {
  std::string address;
  bool reconnect = false;
  common::Duration silent{};
  {
    std::lock_guard lock(peers_mu_);
    auto it = peers_.find(to);
    if (it == peers_.end()) return;
    address = it->second;
    const common::TimePoint now = clock_.now();
    auto [link, fresh] = links_.try_emplace(to, Link{now, now});
    silent = now - link->second.last_heard;
    if (!fresh && silent > reconnect_after_ && now - link->second.last_reset > reconnect_after_) {
      link->second.last_reset = now;
      reconnect = true;
    }
  }
  if (reconnect) {
    common::logger("dledger")->info(
        "nothing from n{} ({}) for {} ms: replacing the connection", to.value(), address,
        std::chrono::duration_cast<std::chrono::milliseconds>(silent).count());
    client_.close_connection(address);
  }
  // Oneway: Raft tolerates loss; a failed send surfaces as a missing response and is retried.
  // Catch-up can put tens of MiB in one Ready: split into frames well under the frame limit.
  std::vector<Message> frame;
  size_t frame_bytes = 0;
  auto flush = [&] {
    if (frame.empty()) return;
    auto cmd = remoting::RemotingCommand::request(kRaftMessages);
    cmd.serialize_type = remoting::SerializeType::kRocketmq;  // binary header: no JSON per frame
    encode_messages(frame, cmd.body);
    (void)client_.invoke_oneway(address, std::move(cmd));
    frame.clear();
    frame_bytes = 0;
  };
  for (auto& m : batch) {
    const size_t bytes = m.bytes() + 128;
    if (!frame.empty() && frame_bytes + bytes > kMaxFramePayload) flush();
    frame_bytes += bytes;
    frame.push_back(std::move(m));
  }
  flush();
}

}  // namespace rmq::dledger::net
