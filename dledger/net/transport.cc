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
  so.endpoint.idle_timeout = std::chrono::seconds(0);  // peers keep their links
  return so;
}

remoting::ClientOptions client_options() {
  remoting::ClientOptions co;
  co.endpoint.name = "dledger-cli";
  co.endpoint.io_threads = 1;
  co.endpoint.idle_timeout = std::chrono::seconds(0);
  co.connect_timeout = std::chrono::seconds(1);
  return co;
}

// Decodes a batch on the I/O thread and hands it to the node; never answers (oneway).
class RaftMessagesProcessor final : public remoting::RequestProcessor {
 public:
  explicit RaftMessagesProcessor(const RaftTransport::Receiver& receiver) : receiver_(receiver) {}
  void process(const remoting::RequestContext& ctx, remoting::RemotingCommand request,
               remoting::Responder) override {
    auto batch = decode_messages(request.body.view());
    if (!batch.ok()) {
      common::logger("dledger")->warn("dropping a raft batch from {}: {}", ctx.remote_address,
                                      batch.status().to_string());
      return;
    }
    if (receiver_) receiver_(std::move(batch).value());
  }

 private:
  const RaftTransport::Receiver& receiver_;
};

}  // namespace

RemotingTransport::RemotingTransport(RemotingTransportOptions options, common::Clock& clock)
    : peers_(std::move(options.peers)),
      server_(server_options(options), clock),
      client_(client_options(), clock) {
  server_.registry().register_processor(kRaftMessages,
                                        std::make_shared<RaftMessagesProcessor>(receiver_),
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

void RemotingTransport::send(NodeId to, std::vector<Message> batch) {
  std::string address;
  {
    std::lock_guard lock(peers_mu_);
    auto it = peers_.find(to);
    if (it == peers_.end()) return;
    address = it->second;
  }
  auto cmd = remoting::RemotingCommand::request(kRaftMessages);
  encode_messages(batch, cmd.body);
  // Oneway: Raft tolerates loss; a failed send surfaces as a missing response and is retried.
  (void)client_.invoke_oneway(address, std::move(cmd));
}

}  // namespace rmq::dledger::net
