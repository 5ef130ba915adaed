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

std::string_view constraint_kind_name(ConstraintKind kind) {
  switch (kind) {
    case ConstraintKind::none: return "none";
    case ConstraintKind::unique: return "unique";
    case ConstraintKind::not_null: return "not_null";
    case ConstraintKind::check: return "check";
    case ConstraintKind::foreign_key: return "foreign_key";
  }
  return "unknown";
}

namespace {

// Without an engine's word: a transient conflict, or a connection lost before anything was sent.
bool retryable_by_category(ErrorCategory category) {
  return category == ErrorCategory::retryable || category == ErrorCategory::connection;
}

}  // namespace

Error::Error(ErrorCategory category, std::string message)
    : Error(category, std::move(message), std::string(), std::string()) {}

Error::Error(ErrorCategory category, std::string message, std::string engine_code, std::string sql)
    : Error(category, std::move(message),
            EngineError{.code = std::move(engine_code), .retryable = retryable_by_category(category)}, std::move(sql)) {
}

Error::Error(ErrorCategory category, std::string message, EngineError engine, std::string sql)
    : std::runtime_error(std::move(message)), category_(category), engine_(std::move(engine)), sql_(std::move(sql)) {}

}  // namespace upsert
