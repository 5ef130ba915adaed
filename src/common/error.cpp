#include "upsert/error.hpp"

namespace upsert {

std::string_view category_name(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::invalid_argument: return "invalid_argument";
    case ErrorCategory::unsupported: return "unsupported";
    case ErrorCategory::retryable: return "retryable";
    case ErrorCategory::constraint: return "constraint";
    case ErrorCategory::overflow: return "overflow";
    case ErrorCategory::data: return "data";
    case ErrorCategory::syntax: return "syntax";
    case ErrorCategory::connection: return "connection";
    case ErrorCategory::outcome_unknown: return "outcome_unknown";
    case ErrorCategory::internal: return "internal";
  }
  return "unknown";
}

Error::Error(ErrorCategory category, std::string message)
    : std::runtime_error(std::move(message)), category_(category) {}

Error::Error(ErrorCategory category, std::string message, std::string engine_code, std::string sql)
    : std::runtime_error(std::move(message)),
      category_(category),
      engine_code_(std::move(engine_code)),
      sql_(std::move(sql)) {}

}  // namespace upsert
