#include "reactor_hint.hpp"

#include <gtest/gtest.h>

#include <boost/version.hpp>

namespace consolegate::proxy {
namespace {

TEST(reactor_hint, is_in_force_on_the_boost_we_build_with) {
#if BOOST_VERSION == 108100
    EXPECT_TRUE(reactor_hint_supported());
#else
    GTEST_SKIP() << "the hint is written for Boost 1.81's epoll reactor";
#endif
}

}  // namespace
}  // namespace consolegate::proxy
