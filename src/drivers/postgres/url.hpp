#pragma once
// postgresql:// URLs: libpq's connection URIs, checked before connecting, and shown without their
// password.

#include <string>
#include <string_view>

namespace upsert::detail::postgres {

// Throws Error(invalid_argument) with libpq's reason when `url` is not a connection URI libpq reads.
void check_url_syntax(const std::string& url);

// `url` with the password of its user-info part (and of a ?password= parameter) replaced by "***",
// for messages.
std::string redact_url(std::string_view url);

}  // namespace upsert::detail::postgres
