#pragma once
// The name=value pairs of a URL's query ("a=1&b=2"), as the URL parsers read them.

#include <string_view>

namespace upsert::detail {

// Calls visit(name, value) for each pair, in order; a pair without '=' has an empty value.
template <class Visit>
void for_each_query_pair(std::string_view query, Visit&& visit) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    visit(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
}

}  // namespace upsert::detail
