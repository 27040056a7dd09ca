#include "remoting/request_code.h"
#include "remoting/response_code.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace rmq::remoting {
namespace {

struct CodeName {
  int32_t code;
  std::string_view camel;  // "kSendMessageV2"
};

// Turns "kSendMessageV2" into "SEND_MESSAGE_V2" once, at first use.
std::string java_name(std::string_view camel) {
  std::string out;
  for (size_t i = 1; i < camel.size(); ++i) {
    const char c = camel[i];
    if (i > 1 && std::isupper(static_cast<unsigned char>(c)) != 0) out.push_back('_');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

template <size_t N>
struct NameTable {
  explicit NameTable(const std::array<CodeName, N>& src) {
    for (size_t i = 0; i < N; ++i) entries[i] = {src[i].code, java_name(src[i].camel)};
    std::sort(entries.begin(), entries.end());
  }
  std::string_view find(int32_t code) const {
    auto it =
        std::lower_bound(entries.begin(), entries.end(), std::pair<int32_t, std::string>{code, ""});
    if (it == entries.end() || it->first != code) return {};
    return it->second;
  }
  std::array<std::pair<int32_t, std::string>, N> entries;
};

#define RMQ_X(name, value) CodeName{value, #name},
constexpr std::array kRequestCodes{RMQ_REQUEST_CODES(RMQ_X)};
constexpr std::array kResponseCodes{RMQ_RESPONSE_CODES(RMQ_X)};
#undef RMQ_X

}  // namespace

std::string_view request_code_name(int32_t code) {
  static const NameTable table(kRequestCodes);
  return table.find(code);
}

std::string_view response_code_name(int32_t code) {
  static const NameTable table(kResponseCodes);
  return table.find(code);
}

}  // namespace rmq::remoting
