// Batch turns: overlapping key ranges of one scope run one at a time in arrival order; disjoint
// ranges and other scopes never wait.

#include "session/turns.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

namespace upsert::detail {
namespace {

using namespace std::chrono_literals;

Row key(std::int64_t k) {
  return Row{Value(k)};
}

// Starts a thread that takes a turn on [low, high] of `scope` and sets `got` once it has it;
// it holds the turn until `release` is set.
std::thread take_turn(const std::string& scope, std::int64_t low, std::int64_t high, std::atomic<bool>& got,
                      std::atomic<bool>& release) {
  return std::thread([&, scope, low, high] {
    KeyRangeTurn turn(scope, key(low), key(high));
    got = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
}

// Waits up to 5 s for `flag`.
bool eventually(const std::atomic<bool>& flag) {
  for (int i = 0; i < 5000 && !flag; ++i) std::this_thread::sleep_for(1ms);
  return flag;
}

TEST(KeyRangeTurns, AnOverlappingRangeWaitsUntilTheEarlierOneIsDone) {
  std::atomic<bool> first{false}, release_first{false}, second{false}, release_second{true};
  std::thread a = take_turn("overlap", 10, 20, first, release_first);
  ASSERT_TRUE(eventually(first));
  std::thread b = take_turn("overlap", 20, 30, second, release_second);  // shares key 20
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(second) << "an overlapping range ran beside the earlier one";
  EXPECT_EQ(KeyRangeTurn::queued("overlap"), 2u);
  release_first = true;
  EXPECT_TRUE(eventually(second)) << "the waiting range never got its turn";
  a.join();
  b.join();
  EXPECT_EQ(KeyRangeTurn::queued("overlap"), 0u);
}

TEST(KeyRangeTurns, DisjointRangesAndOtherScopesDoNotWait) {
  std::atomic<bool> first{false}, release_first{false}, disjoint{false}, other{false}, go{true};
  std::thread a = take_turn("disjoint", 10, 20, first, release_first);
  ASSERT_TRUE(eventually(first));
  std::thread b = take_turn("disjoint", 21, 30, disjoint, go);
  std::thread c = take_turn("another table", 10, 20, other, go);
  EXPECT_TRUE(eventually(disjoint));
  EXPECT_TRUE(eventually(other));
  release_first = true;
  a.join();
  b.join();
  c.join();
}

// A range that overlaps an earlier waiting one queues behind it even when the range running now
// leaves it free: first come, first served, so no statement waits forever.
TEST(KeyRangeTurns, TurnsAreTakenInArrivalOrder) {
  std::atomic<bool> first{false}, release_first{false}, second{false}, release_second{false}, third{false}, go{true};
  std::thread a = take_turn("order", 1, 10, first, release_first);
  ASSERT_TRUE(eventually(first));
  std::thread b = take_turn("order", 5, 50, second, release_second);  // waits for a
  std::this_thread::sleep_for(50ms);
  std::thread c = take_turn("order", 40, 60, third, go);  // free of a, but overlaps b, which came first
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(second);
  EXPECT_FALSE(third) << "a later range overtook an earlier one that it overlaps";
  release_first = true;
  EXPECT_TRUE(eventually(second));
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(third);
  release_second = true;
  EXPECT_TRUE(eventually(third));
  a.join();
  b.join();
  c.join();
}

}  // namespace
}  // namespace upsert::detail
