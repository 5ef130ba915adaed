#pragma once
// The one backoff of the library: between attempts of a connection's retried statement or
// transaction, and between the counter writer's flush attempts and reconnects.

#include <chrono>

namespace upsert::detail {

// Sleeps before the attempt after `failed_attempts` failures (1 for the first retry): a random wait
// between half a ceiling and the ceiling, which starts at `first` and doubles up to `max`, so that
// concurrent losers of one lock spread out instead of colliding again in step.
void back_off(std::chrono::milliseconds first, std::chrono::milliseconds max, int failed_attempts);

}  // namespace upsert::detail
