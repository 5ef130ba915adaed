// The `_upsert` extension: one registration call per binding file, in dependency order.
#include "common.hpp"

namespace upsert::python {
void bind_dbapi(py::module_& m);
}  // namespace upsert::python

PYBIND11_MODULE(_upsert, m) {
  m.doc() = "The compiled core of the upsert package (use `import upsert`).";
  using namespace upsert::python;
  bind_errors(m);
  bind_values(m);
  bind_schema(m);
  bind_expressions(m);
  bind_statement(m);
  bind_connection(m);
  bind_counter_writer(m);
  bind_dbapi(m);
}
