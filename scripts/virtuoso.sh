#!/usr/bin/env bash
# A throwaway OpenLink Virtuoso (open source, Debian's virtuoso-opensource) for regkg's remote
# store backend: tests (.ci/run), benchmarks and trying `REGKG_STORE=sparql:…` out locally.
#
#   scripts/virtuoso.sh start  DIR   # new database in DIR (or reuse it), loopback only; waits until SPARQL answers
#   scripts/virtuoso.sh stop   DIR   # clean shutdown (checkpoint), then the process is gone
#   scripts/virtuoso.sh status DIR   # exit 0 when the server of DIR answers SPARQL
#
# Environment (all optional):
#   VIRTUOSO_HTTP_PORT      HTTP port on 127.0.0.1 (default 18890): /sparql, /sparql-auth, /sparql-graph-crud-auth
#   VIRTUOSO_SQL_PORT       ISQL port on 127.0.0.1 (default 11111)
#   VIRTUOSO_DBA_PASSWORD   password given to the dba user (default: random, kept in DIR/dba.password, mode 600)
#   VIRTUOSO_BUFFERS        NumberOfBuffers (default 170000 pages of 8 KiB, about 1.3 GiB)
#
# The server writes only in DIR, listens only on 127.0.0.1, and its anonymous /sparql endpoint
# stays read-only; dba (the loader's user) gets SPARQL_UPDATE for the authenticated endpoints.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
http_port=${VIRTUOSO_HTTP_PORT:-18890}
sql_port=${VIRTUOSO_SQL_PORT:-11111}
buffers=${VIRTUOSO_BUFFERS:-170000}
ini="$dir/virtuoso.ini"
pwfile="$dir/dba.password"
endpoint="http://127.0.0.1:$http_port/sparql"

virtuoso_bin=$(command -v virtuoso-t || true)
isql_bin=$(command -v isql-vt || command -v isql-v || true)

answers() {  # the SPARQL endpoint answers a trivial query
    python3 - "$endpoint" <<'EOF'
import sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": "ASK {}"})
req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+xml"})
try:
    with urllib.request.urlopen(req, timeout=5) as resp:
        sys.exit(0 if resp.status == 200 and b"boolean" in resp.read() else 1)
except Exception:
    sys.exit(1)
EOF
}

server_pid() {  # from the lock file Virtuoso keeps while running ("VIRT_PID=1234")
    [ -f "$dir/db/virtuoso.lck" ] || return 1
    local pid
    pid=$(sed -n 's/^VIRT_PID=\([0-9]*\).*/\1/p' "$dir/db/virtuoso.lck")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

isql() {  # isql as dba, statements on standard input
    "$isql_bin" "127.0.0.1:$sql_port" dba "$1" VERBOSE=OFF BANNER=OFF PROMPT=OFF ECHO=OFF ERRORS=STDOUT
}

write_ini() {
    mkdir -p "$dir/db" "$dir/vsp"
    cat >"$ini" <<EOF
; Throwaway Virtuoso configuration written by scripts/virtuoso.sh: loopback only, files in $dir.
[Database]
DatabaseFile       = $dir/db/virtuoso.db
ErrorLogFile       = $dir/db/virtuoso.log
LockFile           = $dir/db/virtuoso.lck
TransactionFile    = $dir/db/virtuoso.trx
xa_persistent_file = $dir/db/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/db/virtuoso-temp.db
TransactionFile    = $dir/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:$sql_port
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., $dir
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 200000000
MaxQueryMem              = 1G
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
; 2 cores, 24 GiB shared with the tests: about 1.3 GiB of page buffers (8 KiB each)
NumberOfBuffers          = $buffers
MaxDirtyBuffers          = $((buffers * 3 / 4))

[HTTPServer]
ServerPort                  = 127.0.0.1:$http_port
ServerRoot                  = $dir/vsp
MaxClientConnections        = 20
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 20
MaxKeepAlives               = 20
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[Replication]
ServerName   = regkg-test
ServerEnable = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = 127.0.0.1:$http_port

[SPARQL]
; regkg reads whole indexes (search, facts): no silent truncation of results
ResultSetMaxRows           = 100000000
MaxSortedTopRows           = 100000000
; the estimate check refuses legitimate property-path queries; the execution limit stays
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 60
DeferInferenceRulesInit    = 1
EOF
}

start() {
    [ -n "$virtuoso_bin" ] && [ -n "$isql_bin" ] \
        || { echo "$0: virtuoso-t / isql-vt not found (Debian: apt-get install virtuoso-opensource)" >&2; exit 1; }
    if server_pid >/dev/null; then
        answers && { echo "virtuoso: already running for $dir ($endpoint)"; return 0; }
        echo "$0: a Virtuoso of $dir is running but does not answer at $endpoint" >&2
        exit 1
    fi
    if answers; then
        echo "$0: something else already answers at $endpoint; choose VIRTUOSO_HTTP_PORT" >&2
        exit 1
    fi
    local fresh=0
    [ -f "$dir/db/virtuoso.db" ] || fresh=1
    write_ini
    (cd "$dir/db" && "$virtuoso_bin" +configfile "$ini" +wait) >"$dir/start.log" 2>&1 || {
        echo "$0: virtuoso-t failed to start; see $dir/start.log and $dir/db/virtuoso.log" >&2
        tail -20 "$dir/start.log" "$dir/db/virtuoso.log" >&2 || true
        exit 1
    }
    local tries=0
    until answers; do
        tries=$((tries + 1))
        if [ $tries -gt 120 ]; then
            echo "$0: Virtuoso did not answer at $endpoint within 60 s; see $dir/db/virtuoso.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    if [ $fresh = 1 ]; then
        local password=${VIRTUOSO_DBA_PASSWORD:-}
        if [ -z "$password" ]; then
            password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
        fi
        (umask 077 && printf '%s\n' "$password" >"$pwfile")
        # A fresh database has dba/dba: set the throwaway password, let dba load over HTTP
        # (digest authentication on /sparql-auth and /sparql-graph-crud-auth).
        local out
        out=$(printf 'SET PASSWORD "dba" "%s";\n' "$password" | isql dba)
        grep -q -i 'error' <<<"$out" && { echo "$0: setting the dba password failed: $out" >&2; exit 1; }
        out=$(isql "$password" <<'EOF'
GRANT SPARQL_UPDATE TO "dba";
checkpoint;
EOF
)
        if grep -i 'error' <<<"$out" | grep -v -q -i 'already'; then
            echo "$0: grants failed: $out" >&2
            exit 1
        fi
    fi
    echo "virtuoso: running for $dir (pid $(server_pid)), SPARQL at $endpoint, dba password in $pwfile"
}

stop() {
    local pid
    pid=$(server_pid) || { echo "virtuoso: not running for $dir"; return 0; }
    if [ -f "$pwfile" ] && [ -n "$isql_bin" ]; then
        "$isql_bin" "127.0.0.1:$sql_port" dba "$(cat "$pwfile")" -K >/dev/null 2>&1 || true
    fi
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || { echo "virtuoso: stopped ($dir)"; return 0; }
        sleep 0.5
    done
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || { echo "virtuoso: stopped ($dir)"; return 0; }
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    echo "virtuoso: killed ($dir)"
}

status() {
    if server_pid >/dev/null && answers; then
        echo "virtuoso: running for $dir (pid $(server_pid)), SPARQL at $endpoint"
        return 0
    fi
    echo "virtuoso: not running for $dir"
    return 1
}

case "$action" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
