#pragma once
// Whether bytes are valid UTF-8: a message built from valid UTF-8 input must stay valid UTF-8
// (a refusal that cuts a character in half prints garbage in a terminal or a JSON log).

#include <string_view>

namespace upsert::fuzz {

inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (std::size_t j = 1; j < length; ++j) {
      if ((static_cast<unsigned char>(s[i + j]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace upsert::fuzz
