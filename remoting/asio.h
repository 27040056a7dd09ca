// The one place that includes Boost.Asio. Boost 1.74's Asio uses std::exchange without including
// <utility> and fails under GCC 12 with -std=c++20 otherwise (shared/TOOLCHAIN.md), so <utility>
// must come first.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
