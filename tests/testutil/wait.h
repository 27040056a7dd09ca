// eventually(pred): polls a condition until it holds or a deadline passes — for tests that wait
// on other threads or processes. Never a fixed sleep standing in for a condition.
#pragma once

#include <chrono>
#include <thread>

namespace rmq::testutil {

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  for (auto waited = std::chrono::milliseconds(0); waited < limit;
       waited += std::chrono::milliseconds(2)) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

}  // namespace rmq::testutil
