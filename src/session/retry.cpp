#include "session/retry.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>

namespace upsert::detail {

void back_off(std::chrono::milliseconds first, std::chrono::milliseconds max, int failed_attempts) {
  thread_local std::minstd_rand random(std::random_device{}());
  std::int64_t ceiling = first.count() << std::clamp(failed_attempts - 1, 0, 20);
  ceiling = std::min<std::int64_t>(ceiling, max.count());
  if (ceiling <= 0) return;
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
  std::this_thread::sleep_for(std::chrono::milliseconds(pick(random)));
}

}  // namespace upsert::detail
