// The categories of the MySQL-protocol error numbers that no server here can produce on demand:
// those of engines that speak the protocol but cannot run on this machine (TiDB), read from their
// documentation (docs.pingcap.com/tidb/stable/error-codes).

#include <gtest/gtest.h>

#include "drivers/mysql/error.hpp"

namespace upsert::detail::mysql {
namespace {

constexpr Stage every_stage[] = {Stage::not_sent, Stage::sent, Stage::sent_in_transaction};

// "The application can safely retry the whole transaction": rolled back, nothing applied.
TEST(MysqlErrorCodes, TidbConflictsAreRetryable) {
  for (unsigned code : {8002u, 8005u, 8022u, 8028u, 9007u}) {
    for (Stage stage : every_stage) EXPECT_EQ(category_for(code, stage), ErrorCategory::retryable) << code;
  }
}

// A transaction over txn-total-size-limit fails whatever the retries: the caller must write less.
TEST(MysqlErrorCodes, TidbTransactionTooLargeIsTheCallers) {
  EXPECT_EQ(category_for(8004, Stage::sent), ErrorCategory::invalid_argument);
}

}  // namespace
}  // namespace upsert::detail::mysql
