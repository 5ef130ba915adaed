#pragma once
/// Everything a user of the library includes: one header.

#include "upsert/batch.hpp"
#include "upsert/connection.hpp"
#include "upsert/counter_writer.hpp"
#include "upsert/error.hpp"
#include "upsert/expr.hpp"
#include "upsert/render.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"
