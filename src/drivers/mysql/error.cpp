// One switch from the engine's error numbers (mysqld_error.h, errmsg.h) onto our categories.
// Numbers are written out with their names: MySQL and MariaDB share 1000-1999 and 2000-2999
// but diverge above 3000 (3819 is MySQL's CHECK violation, 4025 MariaDB's).

#include "drivers/mysql/error.hpp"

#include <fmt/format.h>

namespace upsert::detail::mysql {

namespace {

// The connection dropped: what that means depends on how far the request got.
bool connection_lost(unsigned error_number) {
  switch (error_number) {
    case 2006:  // CR_SERVER_GONE_ERROR: the server has gone away
    case 2013:  // CR_SERVER_LOST: lost connection during query
    case 2055:  // CR_SERVER_LOST_EXTENDED: lost connection, with the system error
    case 1927:  // ER_CONNECTION_KILLED (MariaDB): KILL CONNECTION from another session
    case 1053:  // ER_SERVER_SHUTDOWN: the server is shutting down
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT: disconnected after wait_timeout of inactivity
    // Spider (storage/spider/spd_err.h and the server's network errors it passes on): the front lost,
    // or could not reach, a backend. A statement spread over several backends may have applied on
    // some of them, so once sent its outcome is unknown, as for our own lost connection.
    case 1429:   // ER_CONNECT_TO_FOREIGN_DATA_SOURCE: unable to connect to the foreign data source
    case 12701:  // ER_SPIDER_REMOTE_SERVER_GONE_AWAY_NUM: a backend has gone away
    case 1158:   // ER_NET_READ_ERROR: got an error reading communication packets
    case 1159:   // ER_NET_READ_INTERRUPTED: got timeout reading communication packets
    case 1160:   // ER_NET_ERROR_ON_WRITE: got an error writing communication packets
    case 1161:   // ER_NET_WRITE_INTERRUPTED: got timeout writing communication packets
      return true;
    default: return false;
  }
}

ErrorCategory category_of_lost_connection(Stage stage) {
  return stage == Stage::sent ? ErrorCategory::outcome_unknown : ErrorCategory::connection;
}

std::string_view hint(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::retryable:
      return "another transaction held the row: run the statement (or the whole transaction) again; "
             "Connection does so by itself outside a transaction";
    case ErrorCategory::connection:
      return "nothing was applied: reconnect and run it again; Connection does so by itself outside a transaction";
    case ErrorCategory::outcome_unknown:
      return "the connection was lost after the statement was sent, so it may or may not have been applied: "
             "check the row before running it again";
    case ErrorCategory::unsupported:
      return "the connection runs at READ COMMITTED, which InnoDB can only log row by row: set binlog_format "
             "to ROW or MIXED on the server";
    case ErrorCategory::invalid_argument:  // only TiDB's 8004 maps here
      return "the transaction is larger than TiDB's txn-total-size-limit: write fewer rows per transaction "
             "(BatchOptions::max_rows_per_statement, a smaller CounterWriter flush) or raise the limit";
    case ErrorCategory::overflow:
      return "the result does not fit the column's type: keep values in range or widen the column";
    default: return {};
  }
}

}  // namespace

ErrorCategory category_for(unsigned error_number, Stage stage) {
  if (connection_lost(error_number)) return category_of_lost_connection(stage);
  switch (error_number) {
    // A Galera node that is not part of the primary component, or not synced yet, refuses every
    // statement with ER_UNKNOWN_COM_ERROR ("WSREP has not yet prepared node for application use"):
    // nothing was applied, and this node will refuse the next attempt too, so it counts as a lost
    // connection: Connection reconnects, to the next host of a multi-host URL.
    case 1047:  // ER_UNKNOWN_COM_ERROR
      return ErrorCategory::connection;
    // Galera reports a transaction that failed certification, or that a replicated write aborted
    // (brute-force abort), as ER_LOCK_DEADLOCK ("WSREP detected deadlock/conflict and aborted the
    // transaction. Try restarting the transaction"): rolled back, nothing applied.
    case 1213:  // ER_LOCK_DEADLOCK: the transaction was rolled back
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1020:  // ER_CHECKREAD: record changed since last read
    case 1614:  // ER_XA_RBDEADLOCK
    case 1969:  // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time): rolled back like a lock timeout
    case 1317:  // ER_QUERY_INTERRUPTED (KILL QUERY): the statement was rolled back
    // TiDB's own codes (docs.pingcap.com/tidb/stable/error-codes; MySQL and MariaDB use none of
    // 8000-9999): the transaction was rolled back and "can safely" be run again.
    case 8002:  // a SELECT FOR UPDATE transaction met a commit conflict
    case 8005:  // write conflict (optimistic transactions)
    case 8022:  // the transaction commit failed and was rolled back
    case 8028:  // the schema changed during the statement
    case 9007:  // write conflict
      return ErrorCategory::retryable;
    case 8004:  // TiDB: the transaction is larger than txn-total-size-limit (100 MB by default)
      return ErrorCategory::invalid_argument;

    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
    case 1022:  // ER_DUP_KEY: "Can't write; duplicate key" (a Spider front without spider_direct_dup_insert)
    case 1451:  // ER_ROW_IS_REFERENCED_2: a foreign key refers to the row
    case 1452:  // ER_NO_REFERENCED_ROW_2: the foreign key has no parent row
    case 1216:  // ER_NO_REFERENCED_ROW (older servers)
    case 1217:  // ER_ROW_IS_REFERENCED (older servers)
    case 1048:  // ER_BAD_NULL_ERROR: NULL into NOT NULL
    case 1364:  // ER_NO_DEFAULT_FOR_FIELD: NOT NULL column left out, no default
    case 4025:  // ER_CONSTRAINT_FAILED (MariaDB CHECK)
    case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL CHECK)
      return ErrorCategory::constraint;

    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE: out of range for the column
    case 1690:  // ER_DATA_OUT_OF_RANGE: BIGINT value out of range in an expression
      return ErrorCategory::overflow;

    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: incorrect value (e.g. bad UTF-8)
    case 1292:  // ER_TRUNCATED_WRONG_VALUE: incorrect date/number
    case 1406:  // ER_DATA_TOO_LONG
    case 1365:  // ER_DIVISION_BY_ZERO
    case 1265:  // WARN_DATA_TRUNCATED
    case 1411:  // ER_WRONG_VALUE_FOR_TYPE
    case 1367:  // ER_ILLEGAL_VALUE_FOR_TYPE
    case 1300:  // ER_INVALID_CHARACTER_STRING
    case 1525:  // ER_WRONG_VALUE
    case 4078:  // ER_ILLEGAL_PARAMETER_DATA_TYPES2_FOR_OPERATION (MariaDB)
    case 1153:  // ER_NET_PACKET_TOO_LARGE: a value beyond the server's max_allowed_packet
      return ErrorCategory::data;

    case 1665:  // ER_BINLOG_STMT_MODE_AND_ROW_ENGINE: binlog_format=STATEMENT refuses READ COMMITTED writes
      return ErrorCategory::unsupported;

    case 1064:  // ER_PARSE_ERROR
    case 1146:  // ER_NO_SUCH_TABLE
    case 1054:  // ER_BAD_FIELD_ERROR
    case 1149:  // ER_SYNTAX_ERROR
    case 1052:  // ER_NON_UNIQ_ERROR: ambiguous column
    case 1136:  // ER_WRONG_VALUE_COUNT_ON_ROW
    case 1295:  // ER_UNSUPPORTED_PS: cannot be prepared
      return ErrorCategory::syntax;

    case 2002:  // CR_CONNECTION_ERROR: cannot connect through the socket
    case 2003:  // CR_CONN_HOST_ERROR: cannot connect over TCP
    case 2005:  // CR_UNKNOWN_HOST
    case 2001:  // CR_SOCKET_CREATE_ERROR
    case 2004:  // CR_IPSOCK_ERROR
    case 2012:  // CR_SERVER_HANDSHAKE_ERR
    case 2026:  // CR_SSL_CONNECTION_ERROR
    case 2059:  // CR_AUTH_PLUGIN_CANNOT_LOAD
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1049:  // ER_BAD_DB_ERROR
    case 1129:  // ER_HOST_IS_BLOCKED
    case 1130:  // ER_HOST_NOT_PRIVILEGED
      return ErrorCategory::connection;

    default:
      // Other client errors (2000-2999: out of sync, bad bind, ...) are our bugs; other server
      // errors are the engine refusing the SQL, which retrying will not change.
      return error_number >= 2000 && error_number < 3000 ? ErrorCategory::internal : ErrorCategory::syntax;
  }
}

ConstraintKind constraint_for(unsigned error_number) {
  switch (error_number) {
    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
    case 1022:  // ER_DUP_KEY
      return ConstraintKind::unique;
    case 1048:  // ER_BAD_NULL_ERROR
    case 1364:  // ER_NO_DEFAULT_FOR_FIELD: a NOT NULL column left out
      return ConstraintKind::not_null;
    case 4025:  // ER_CONSTRAINT_FAILED (MariaDB)
    case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
      return ConstraintKind::check;
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
    case 1216:  // ER_NO_REFERENCED_ROW
    case 1217:  // ER_ROW_IS_REFERENCED
      return ConstraintKind::foreign_key;
    default: return ConstraintKind::none;
  }
}

bool retry_may_help(unsigned error_number, ErrorCategory category) {
  if (category == ErrorCategory::retryable) return true;
  if (category != ErrorCategory::connection) return false;
  switch (error_number) {
    // A login or a target that is wrong stays wrong.
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1049:  // ER_BAD_DB_ERROR
    case 1129:  // ER_HOST_IS_BLOCKED
    case 1130:  // ER_HOST_NOT_PRIVILEGED
    case 2005:  // CR_UNKNOWN_HOST
    case 2059:  // CR_AUTH_PLUGIN_CANNOT_LOAD
      return false;
    default: return true;  // a lost connection that applied nothing, a server not (yet) reachable
  }
}

EngineError engine_error(unsigned error_number, std::string_view sqlstate, ErrorCategory category) {
  return EngineError{.code = fmt::format("{} ({})", error_number, sqlstate),
                     .sqlstate = std::string(sqlstate),
                     .constraint = constraint_for(error_number),
                     .retryable = retry_may_help(error_number, category)};
}

void throw_error(unsigned error_number, std::string_view sqlstate, std::string_view message, std::string_view sql,
                 Stage stage) {
  const ErrorCategory category = category_for(error_number, stage);
  const bool client = error_number >= 2000 && error_number < 3000;
  // A Spider front answers an upsert of an existing key with 1022 unless it passes the statement
  // on to the backend whole.
  std::string_view advice = hint(category);
  if (error_number == 1022) {
    advice =
        "on a Spider front, ON DUPLICATE KEY UPDATE needs spider_direct_dup_insert = 1 (server option, or SET "
        "SESSION) so that the backend runs the upsert";
  } else if (error_number == 1429 || error_number == 12701) {
    advice =
        "a Spider backend is unreachable: rows of this statement on the other backends may have been "
        "applied; check them before running it again, once the backend is back";
  }
  throw Error(category,
              fmt::format("{} error {} ({}): {}{}{}", client ? "MySQL client" : "MySQL/MariaDB server", error_number,
                          sqlstate, message, advice.empty() ? "" : "; ", advice),
              engine_error(error_number, sqlstate, category), std::string(sql));
}

void throw_error(MYSQL* connection, std::string_view sql, Stage stage) {
  throw_error(mysql_errno(connection), mysql_sqlstate(connection), mysql_error(connection), sql, stage);
}

void throw_error(MYSQL_STMT* statement, std::string_view sql, Stage stage) {
  throw_error(mysql_stmt_errno(statement), mysql_stmt_sqlstate(statement), mysql_stmt_error(statement), sql, stage);
}

}  // namespace upsert::detail::mysql
