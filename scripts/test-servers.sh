#!/usr/bin/env bash
# Starts and stops throwaway PostgreSQL 15 and MariaDB server instances for the test suite.
#
#   scripts/test-servers.sh start            [DIR]   fresh instances, writes DIR/env.sh, prints its exports
#   scripts/test-servers.sh stop             [DIR]   stops both; succeeds even if nothing is running
#   scripts/test-servers.sh restart-postgres [DIR]   restarts PostgreSQL only (tests inject a server restart)
#   scripts/test-servers.sh restart-mariadb  [DIR]   restarts MariaDB only (also after it was killed)
#   scripts/test-servers.sh status           [DIR]   exit 0 if both servers accept connections
#
# DIR defaults to ${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}. Ports default to 54329 (PostgreSQL)
# and 33069 (MariaDB) and can be overridden with UPSERT_PG_PORT / UPSERT_MARIADB_PORT.
#
# Nothing here touches system services (systemctl, /var/run/postgresql, /run/mysqld, /etc/mysql):
# every file of both instances lives under DIR, so the instances can be wiped at will and never
# collide with a system-wide installation. The servers are tuned for speed, not durability
# (fsync off etc.): the data is disposable.
#
# Only the export lines go to stdout, so `eval "$(scripts/test-servers.sh start)"` works; all
# progress messages and server tool output go to stderr.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pg_bin=/usr/lib/postgresql/15/bin
pg_port=${UPSERT_PG_PORT:-54329}
mariadb_port=${UPSERT_MARIADB_PORT:-33069}
db_name=upsert_test
db_user=upsert
db_password=upsert
# Bounded wait for a server to come up or go down, in seconds.
wait_seconds=60

log() { echo "test-servers: $*" >&2; }
die() { echo "test-servers: ERROR: $*" >&2; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $0 {start|stop|restart-postgres|restart-mariadb|status} [DIR]
  DIR defaults to \${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}
EOF
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
command=$1
dir=${2:-${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}}

case "$pg_port$mariadb_port" in *[!0-9]*) die "UPSERT_PG_PORT / UPSERT_MARIADB_PORT must be numbers" ;; esac
[ "$pg_port" != "$mariadb_port" ] || die "PostgreSQL and MariaDB ports must differ (both $pg_port)"

# Absolute path: the servers are started with DIR-relative paths baked into their config and
# env.sh is sourced from arbitrary working directories.
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ "$dir" != / ] || die "refusing to use / as the servers directory"

pg_root=$dir/postgres
pg_data=$pg_root/data
pg_sock_dir=$pg_root/run
pg_log=$pg_root/postgres.log

mdb_root=$dir/mariadb
mdb_data=$mdb_root/data
mdb_sock=$mdb_root/mariadb.sock
mdb_pid=$mdb_root/mariadb.pid
mdb_log=$mdb_root/mariadb.err

env_file=$dir/env.sh

is_root=0
[ "$(id -u)" -ne 0 ] || is_root=1

# ---------------------------------------------------------------------------------------------
# Binaries. Debian 12 ships both the new mariadb-* names and the historic mysql* names; prefer
# the new ones but accept either.

first_existing() {
  local c
  for c in "$@"; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
    if [[ $c != */* ]] && command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

find_binaries() {
  mariadbd_bin=$(first_existing /usr/sbin/mariadbd /usr/sbin/mysqld) || return 1
  mdb_install_bin=$(first_existing mariadb-install-db mysql_install_db) || return 1
  mdb_admin_bin=$(first_existing mariadb-admin mysqladmin) || return 1
  mdb_client_bin=$(first_existing mariadb mysql) || return 1
  local b
  for b in initdb pg_ctl postgres pg_isready psql; do
    [ -x "$pg_bin/$b" ] || return 1
  done
}

ensure_binaries() {
  find_binaries && return 0
  log "PostgreSQL 15 / MariaDB binaries missing; running $script_dir/setup.sh"
  # setup.sh's own output is progress noise: keep stdout clean for the exports.
  bash "$script_dir/setup.sh" </dev/null >&2 || die "scripts/setup.sh failed"
  find_binaries || die "binaries still missing after scripts/setup.sh (need $pg_bin/{initdb,pg_ctl,postgres,pg_isready,psql}, mariadbd, mariadb-install-db, mariadb-admin, mariadb)"
}

# ---------------------------------------------------------------------------------------------
# Helpers.

# PostgreSQL refuses to run as root, so as root its tools run as the `postgres` system user that
# the Debian package creates. A non-root caller simply runs everything as itself.
as_pg() {
  if [ "$is_root" -eq 1 ]; then
    # cd / so the postgres user never inherits a working directory it cannot read.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Same for the MariaDB file owner: mariadbd itself could run as root, but the mysql user keeps
# the instance as close as possible to a normal installation.
mdb_user() { if [ "$is_root" -eq 1 ]; then echo mysql; else id -un; fi; }

# True if something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Unix socket paths are limited to 107 bytes (sun_path); fail early with a clear message rather
# than letting a server die with a cryptic bind error.
check_socket_path() {
  [ ${#1} -le 107 ] || die "unix socket path too long (${#1} > 107 bytes): $1 — use a shorter DIR"
}

# The server users must be able to traverse every parent of DIR (e.g. DIR under /root would not
# work for the postgres user).
check_traversable() {
  local user=$1
  if [ "$is_root" -eq 1 ] && ! (cd / && runuser -u "$user" -- test -x "$dir" -a -r "$dir"); then
    die "user '$user' cannot access $dir (a parent directory is not world-executable); use a DIR under /tmp"
  fi
}

show_log_tail() {
  local file=$1
  if [ -f "$file" ]; then
    echo "---- last 40 lines of $file ----" >&2
    tail -n 40 "$file" >&2 || true
    echo "----" >&2
  fi
}

# Reads the pid of the running mariadbd of this DIR, or fails if there is none. The pid is only
# trusted if that process really is a mariadbd using our datadir (pid files can be stale and pids
# get reused after a crash or a reboot).
mdb_running_pid() {
  local pid
  [ -f "$mdb_pid" ] || return 1
  pid=$(tr -dc '0-9' <"$mdb_pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--datadir=$mdb_data" || return 1
  echo "$pid"
}

pg_running() {
  [ -f "$pg_data/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1
}

pg_accepting() {
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -d "$db_name" -U "$db_user" -t 2 >/dev/null 2>&1
}

# --no-defaults everywhere: the Debian /etc/mysql config points clients and servers at
# /run/mysqld/mysqld.sock and the system datadir, which must not be touched.
mdb_admin() { "$mdb_admin_bin" --no-defaults --connect-timeout=2 "$@"; }
mdb_client() { "$mdb_client_bin" --no-defaults "$@"; }

# ---------------------------------------------------------------------------------------------
# Stop.

stop_postgres() {
  if [ ! -f "$pg_data/postmaster.pid" ]; then
    return 0
  fi
  if pg_running; then
    log "stopping PostgreSQL ($pg_data)"
    if ! as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t "$wait_seconds" stop >&2; then
      # Fast shutdown hung: immediate shutdown skips the shutdown checkpoint, which is fine for
      # throwaway data.
      log "fast shutdown of PostgreSQL failed; trying immediate"
      as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t "$wait_seconds" stop >&2 || true
    fi
  fi
  if pg_running; then
    die "PostgreSQL in $pg_data is still running after stop"
  fi
}

stop_mariadb() {
  local pid i
  pid=$(mdb_running_pid) || return 0
  log "stopping MariaDB (pid $pid, $mdb_data)"
  # A clean shutdown through the socket first; SIGTERM (also a clean shutdown for mariadbd) if the
  # socket is gone or root cannot log in; SIGKILL as a last resort, the data is disposable.
  mdb_admin --socket="$mdb_sock" -uroot shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_seconds * 5; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.2
  done
  if [ -d "/proc/$pid" ]; then
    log "MariaDB did not stop within ${wait_seconds}s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      [ -d "/proc/$pid" ] || break
      sleep 0.2
    done
    [ ! -d "/proc/$pid" ] || die "could not stop MariaDB pid $pid"
  fi
  rm -f "$mdb_pid"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL.

init_postgres() {
  check_traversable postgres
  check_socket_path "$pg_sock_dir/.s.PGSQL.$pg_port.lock"
  mkdir -p "$pg_root" "$pg_sock_dir"
  [ "$is_root" -eq 0 ] || chown -R postgres:postgres "$pg_root"
  chmod 755 "$pg_root" "$pg_sock_dir"

  log "initialising PostgreSQL cluster in $pg_data"
  # Trust auth: throwaway instance reachable only on 127.0.0.1 and a socket under DIR.
  # C.UTF-8 collation: deterministic ordering, independent of the machine's locales.
  if ! as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 --no-instructions >"$pg_root/initdb.log" 2>&1; then
    show_log_tail "$pg_root/initdb.log"
    die "initdb failed"
  fi

  # Appended to postgresql.conf (last setting wins) rather than passed with pg_ctl -o, so that
  # `pg_ctl restart` and manual starts get exactly the same configuration.
  cat >>"$pg_data/postgresql.conf" <<EOF

# ---- upsert test instance (scripts/test-servers.sh) ----
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_sock_dir'
max_connections = 200
# Durability is pointless for throwaway test data; these make writes much cheaper.
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 30min
shared_buffers = 128MB
# Server errors are written to the pg_ctl log file named with -l.
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
EOF

  cat >"$pg_data/pg_hba.conf" <<EOF
# upsert test instance: trust everything local, nothing else is reachable.
local all all               trust
host  all all 127.0.0.1/32  trust
host  all all ::1/128       trust
EOF
  [ "$is_root" -eq 0 ] || chown postgres:postgres "$pg_data/postgresql.conf" "$pg_data/pg_hba.conf"
  # The log file must be writable by the server user.
  : >"$pg_log"
  [ "$is_root" -eq 0 ] || chown postgres:postgres "$pg_log"
}

# Waits until PostgreSQL accepts TCP connections on the test port.
wait_postgres() {
  local i
  for ((i = 0; i < wait_seconds * 5; i++)); do
    # -U postgres: pg_isready sends a startup packet and the server would log a FATAL for a
    # non-existent role (e.g. "root") even though the probe itself succeeds.
    if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -t 2 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  show_log_tail "$pg_log"
  die "PostgreSQL did not accept connections on 127.0.0.1:$pg_port within ${wait_seconds}s"
}

start_postgres() {
  log "starting PostgreSQL 15 on 127.0.0.1:$pg_port and $pg_sock_dir"
  # -w waits for startup; stdin from /dev/null so pg_ctl never waits on a terminal.
  if ! as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t "$wait_seconds" start </dev/null >&2 9>&-; then
    show_log_tail "$pg_log"
    die "pg_ctl start failed"
  fi
  wait_postgres
}

setup_postgres_db() {
  # Superuser: the tests terminate backends, create extensions etc.; acceptable on a throwaway.
  local sql
  sql="CREATE ROLE $db_user LOGIN SUPERUSER PASSWORD '$db_password';
CREATE DATABASE $db_name OWNER $db_user;"
  if ! "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_sock_dir" -p "$pg_port" -U postgres -d postgres \
      <<<"$sql" >&2; then
    die "creating the PostgreSQL role/database failed"
  fi
}

# ---------------------------------------------------------------------------------------------
# MariaDB.

# Server options shared by bootstrap (mariadb-install-db) and the real server, so InnoDB files
# are created with the same settings they are later opened with.
mdb_common_opts() {
  local opts=(
    --datadir="$mdb_data"
    --user="$(mdb_user)"
    --innodb-buffer-pool-size=256M
    --innodb-log-file-size=128M
    # Test data is disposable: no per-commit flushing, no doublewrite.
    --innodb-flush-log-at-trx-commit=2
    --innodb-doublewrite=0
    --skip-log-bin
    # Without /etc/mysql the compiled-in default is latin1; match Debian's utf8mb4 default.
    --character-set-server=utf8mb4
    --collation-server=utf8mb4_general_ci
  )
  printf '%s\n' "${opts[@]}"
}

init_mariadb() {
  check_traversable "$(mdb_user)"
  check_socket_path "$mdb_sock"
  mkdir -p "$mdb_root" "$mdb_data" "$mdb_root/tmp"
  [ "$is_root" -eq 0 ] || chown -R mysql:mysql "$mdb_root"
  chmod 755 "$mdb_root"

  log "initialising MariaDB datadir in $mdb_data"
  local opts
  mapfile -t opts < <(mdb_common_opts)
  # --no-defaults must be the first option. auth=normal: root@localhost without a password
  # (instead of unix_socket auth tied to OS user names), so this script can administer the
  # instance from any OS user over the private socket.
  if ! "$mdb_install_bin" --no-defaults "${opts[@]}" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      --tmpdir="$mdb_root/tmp" \
      </dev/null >"$mdb_root/install-db.log" 2>&1; then
    show_log_tail "$mdb_root/install-db.log"
    die "mariadb-install-db failed"
  fi
}

start_mariadb() {
  log "starting MariaDB on 127.0.0.1:$mariadb_port and $mdb_sock"
  local opts
  mapfile -t opts < <(mdb_common_opts)
  # Started directly (not via mysqld_safe or systemd) and detached with setsid, stdin/stdout
  # closed, so it survives this script and never holds a caller's output pipe open.
  : >"$mdb_log"
  [ "$is_root" -eq 0 ] || chown mysql:mysql "$mdb_log"
  setsid -f "$mariadbd_bin" --no-defaults "${opts[@]}" \
    --bind-address=127.0.0.1 --port="$mariadb_port" --socket="$mdb_sock" \
    --pid-file="$mdb_pid" --log-error="$mdb_log" --tmpdir="$mdb_root/tmp" \
    --max-connections=300 --skip-name-resolve --max-allowed-packet=64M \
    </dev/null >>"$mdb_log" 2>&1 9>&-

  # Wait for both the socket and TCP. `ping` succeeds as soon as the server answers, even with an
  # access error, which is all we want to know here.
  local i
  for ((i = 0; i < wait_seconds * 5; i++)); do
    if mdb_admin --socket="$mdb_sock" -uroot ping >/dev/null 2>&1 &&
      mdb_admin --protocol=tcp -h127.0.0.1 -P"$mariadb_port" -uroot ping >/dev/null 2>&1; then
      return 0
    fi
    # Fail fast when the server already died (pid file is written early during startup).
    if [ "$i" -gt 25 ] && [ -f "$mdb_pid" ] && ! mdb_running_pid >/dev/null; then
      break
    fi
    sleep 0.2
  done
  show_log_tail "$mdb_log"
  die "MariaDB did not accept connections on 127.0.0.1:$mariadb_port / $mdb_sock within ${wait_seconds}s"
}

setup_mariadb_db() {
  # Two accounts: with skip-name-resolve, 'localhost' matches socket connections and '127.0.0.1'
  # matches TCP. The server is a throwaway, so the test account gets every privilege: fault tests
  # create an account of their own per victim connection, to KILL exactly that one.
  local sql="CREATE DATABASE $db_name CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;"
  local host
  for host in localhost 127.0.0.1; do
    sql+="
CREATE USER '$db_user'@'$host' IDENTIFIED BY '$db_password';
GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'$host' WITH GRANT OPTION;"
  done
  if ! mdb_client --socket="$mdb_sock" -uroot <<<"$sql" >&2; then
    die "creating the MariaDB user/database failed"
  fi
}

# ---------------------------------------------------------------------------------------------
# Commands.

env_exports() {
  cat <<EOF
export UPSERT_TEST_SERVERS_DIR='$dir'
export UPSERT_TEST_POSTGRES_URL='postgresql://$db_user:$db_password@127.0.0.1:$pg_port/$db_name'
export UPSERT_TEST_POSTGRES_SOCKET_DIR='$pg_sock_dir'
export UPSERT_TEST_MARIADB_URL='mariadb://$db_user:$db_password@127.0.0.1:$mariadb_port/$db_name'
export UPSERT_TEST_MARIADB_SOCKET='$mdb_sock'
EOF
}

cmd_stop() {
  find_binaries || { log "server binaries not installed; nothing to stop"; return 0; }
  stop_postgres
  stop_mariadb
  log "stopped (if anything was running) in $dir"
}

cmd_start() {
  ensure_binaries
  [[ $dir != *"'"* ]] || die "DIR must not contain a single quote: $dir"

  # Fresh instances every time: stop whatever still runs from DIR, then wipe its data.
  stop_postgres
  stop_mariadb
  rm -rf "$pg_root" "$mdb_root" "$env_file"

  # Anything still listening now is not ours; a server would fail to bind with a worse message.
  ! port_open "$pg_port" || die "127.0.0.1:$pg_port is already in use by another process (set UPSERT_PG_PORT)"
  ! port_open "$mariadb_port" || die "127.0.0.1:$mariadb_port is already in use by another process (set UPSERT_MARIADB_PORT)"

  init_postgres
  init_mariadb
  start_postgres
  start_mariadb
  setup_postgres_db
  setup_mariadb_db

  # Check what the tests will do: log in as the test user over TCP.
  "$pg_bin/psql" -X -q -At "postgresql://$db_user:$db_password@127.0.0.1:$pg_port/$db_name" \
    -c 'select 1' >/dev/null || die "cannot log in to PostgreSQL as $db_user over TCP"
  mdb_client --protocol=tcp -h127.0.0.1 -P"$mariadb_port" -u"$db_user" -p"$db_password" "$db_name" \
    -e 'select 1' >/dev/null || die "cannot log in to MariaDB as $db_user over TCP"

  # Written atomically so a concurrent reader never sources half a file.
  env_exports >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  log "servers ready; source $env_file"
  env_exports
}

cmd_restart_postgres() {
  ensure_binaries
  [ -f "$pg_data/PG_VERSION" ] || die "no PostgreSQL cluster in $pg_data; run '$0 start' first"
  log "restarting PostgreSQL ($pg_data)"
  # pg_ctl restart also starts the server if it was not running.
  if ! as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -m fast -w -t "$wait_seconds" restart </dev/null >&2 9>&-; then
    show_log_tail "$pg_log"
    die "pg_ctl restart failed"
  fi
  wait_postgres
  log "PostgreSQL is accepting connections again"
}

cmd_restart_mariadb() {
  ensure_binaries
  [ -d "$mdb_data/mysql" ] || die "no MariaDB datadir in $mdb_data; run '$0 start' first"
  log "restarting MariaDB ($mdb_data)"
  stop_mariadb
  start_mariadb
  log "MariaDB is accepting connections again"
}

cmd_status() {
  find_binaries || { log "server binaries not installed"; return 1; }
  local ok=0
  if pg_accepting && pg_running; then
    log "PostgreSQL: up (127.0.0.1:$pg_port, $pg_sock_dir)"
  else
    log "PostgreSQL: down"
    ok=1
  fi
  if mdb_running_pid >/dev/null &&
    mdb_admin --protocol=tcp -h127.0.0.1 -P"$mariadb_port" -uroot ping >/dev/null 2>&1; then
    log "MariaDB: up (127.0.0.1:$mariadb_port, $mdb_sock)"
  else
    log "MariaDB: down"
    ok=1
  fi
  return "$ok"
}

# Serialise commands on the same DIR (e.g. two CI steps racing start/stop). The lock file lives
# in DIR itself and is never wiped. The servers are started with fd 9 closed (`9>&-`): a server
# inheriting it would hold the lock for its whole lifetime.
exec 9>"$dir/.lock"
flock -w 300 9 || die "timed out waiting for another test-servers.sh on $dir"

case "$command" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart-postgres) cmd_restart_postgres ;;
  restart-mariadb) cmd_restart_mariadb ;;
  status) cmd_status ;;
  *) usage ;;
esac
