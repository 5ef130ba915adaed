#pragma once
// Text from outside (a client library's message, a percent-decoded URL part) put into our error
// messages: a message must stay valid UTF-8, or a terminal or a JSON log shows garbage.

#include <string>
#include <string_view>

namespace upsert::detail {

// `text` with every byte that is not part of a UTF-8 character (a lead byte and its continuation bytes) written as
// \xNN.
inline std::string printable_utf8(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;  // 0: not a lead byte
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
    }
    bool whole = length != 0 && i + length <= text.size();
    for (std::size_t j = 1; whole && j < length; ++j) {
      whole = (static_cast<unsigned char>(text[i + j]) & 0xC0) == 0x80;
    }
    if (whole) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\\x";
      out += hex[lead >> 4];
      out += hex[lead & 0xF];
      ++i;
    }
  }
  return out;
}

}  // namespace upsert::detail
