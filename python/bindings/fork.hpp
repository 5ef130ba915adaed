#pragma once
// Which process generation this is: bumped in the child of every fork(). Objects remember the
// generation they were made in; a connection or a writer inherited across fork must not be used
// (its socket and threads belong to the parent).
#include <cstdint>

namespace upsert::python {

// The current generation (0 in the process that imported the module).
std::uint64_t fork_generation();
// Registers the fork handler once.
void watch_forks();

}  // namespace upsert::python
