#pragma once
// The one way to refuse a statement a dialect cannot express with PostgreSQL's semantics: by the
// renderers, and by the session's strategies for what an engine's connection cannot report.

#include <string_view>

#include "upsert/render.hpp"

namespace upsert::detail {

// Throws Error(unsupported): "<dialect>: <what_and_fix>".
[[noreturn]] void refuse(Dialect dialect, std::string_view what_and_fix);

}  // namespace upsert::detail
