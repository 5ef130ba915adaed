// The `_upsert` extension: one registration call per binding file.
#include <pybind11/pybind11.h>

namespace upsert::python {
void bind_core(pybind11::module_& m);
void bind_dbapi(pybind11::module_& m);
}  // namespace upsert::python

PYBIND11_MODULE(_upsert, m) {
  m.doc() = "The compiled core of the upsert package.";
  upsert::python::bind_core(m);
  upsert::python::bind_dbapi(m);
}
