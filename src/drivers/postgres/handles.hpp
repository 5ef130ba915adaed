#pragma once
// Owning handles for libpq objects, so every early return and exception frees them.

#include <libpq-fe.h>

#include <memory>

namespace upsert::detail::postgres {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};

// A connection; PQfinish on destruction.
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
// A result; PQclear on destruction. May hold nullptr (libpq returns it when out of memory or when
// it could not send the command at all).
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

}  // namespace upsert::detail::postgres
