#!/usr/bin/env bash
# A lab of real hosts on one machine: the scale-out of docs/scaling.md, each host in its
# own Linux network namespace, all joined by a bridge that lives in a namespace of its
# own. Nothing is added to the machine's own network: the veth pairs are created inside
# the namespaces, the addresses (10.77.0.0/24 by default) exist only there, and no
# daemon of the lab listens outside them.
#
#   deploy/lab/lab.sh up        build the lab (as root; a stale lab is torn down first)
#   deploy/lab/lab.sh down      stop every process of the lab and remove its namespaces
#   deploy/lab/lab.sh status    what runs where
#   deploy/lab/lab.sh config DIR   write the lab's configuration files to DIR (no root)
#   deploy/lab/lab.sh exec HOST CMD...   run a command on one host of the lab
#   deploy/lab/lab.sh kill HOST          SIGKILL the service of one host (a crash)
#   deploy/lab/lab.sh start HOST         start the service of one host again
#   deploy/lab/lab.sh restart HOST       stop it cleanly and start it again
#   deploy/lab/lab.sh cut HOST SECONDS   unplug a host from the network for a while
#
# Hosts (docs/scaling.md, step by step):
#   lb       nginx with deploy/nginx/disquaire.conf and its cache      10.77.0.10:80
#   app1/2   disquaire serve --production --no-worker --no-migrate     10.77.0.11/12:8000
#   worker1/2  disquaire worker                                        10.77.0.21/22
#   pg1      PostgreSQL primary                                        10.77.0.31:5432
#   pg2      PostgreSQL streaming replica (pg_basebackup -R)           10.77.0.32:5432
#   redis    Redis, no persistence, maxmemory + allkeys-lru            10.77.0.41:6379
#   s3       Ceph: one monitor, one OSD (memstore), RADOS Gateway      10.77.0.51:7480
#   fan      no service: where a benchmark's visitors come from        10.77.0.100
#
# Environment: DQLAB_DIR (default /var/tmp/disquaire-lab), DQLAB_NET (the first three
# octets, default 10.77.0), DQLAB_TTL (seconds after which the lab tears itself down,
# default 7200; 0: never), DQLAB_PYTHON (the Python with Disquaire installed, default the
# checkout's .venv), DQLAB_S3 (radosgw, or moto: a stand-in, see docs/lab.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
LAB="${DQLAB_DIR:-/var/tmp/disquaire-lab}"
NET="${DQLAB_NET:-10.77.0}"
TTL="${DQLAB_TTL:-7200}"
PY="${DQLAB_PYTHON:-$ROOT/.venv/bin/python}"
S3_KIND="${DQLAB_S3:-radosgw}"
PREFIX="dqlab"
PG_BIN="${DQLAB_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
PATH="$PATH:/usr/sbin:/sbin"

HOSTS="lb app1 app2 worker1 worker2 pg1 pg2 redis s3 fan"
declare -A ADDR=(
    [lb]=10 [app1]=11 [app2]=12 [worker1]=21 [worker2]=22
    [pg1]=31 [pg2]=32 [redis]=41 [s3]=51 [fan]=100
)
APP_PORT=8000
S3_PORT=7480
STRIPE_PORT=12111
BUCKET=disquaire

addr() { echo "$NET.${ADDR[$1]}"; }
ns() { echo "$PREFIX-$1"; }
log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Wait for a condition, at most $1 seconds (every loop of the lab is bounded).
wait_until() {
    local seconds="$1" what="$2"; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            die "$what did not happen within ${seconds}s (logs in $LAB)"
        fi
        sleep 0.5
    done
}

in_ns() { local host="$1"; shift; ip netns exec "$(ns "$host")" "$@"; }

# ---------------------------------------------------------------------------------------
# Configuration (written by `config` without root, and by `up`)
# ---------------------------------------------------------------------------------------

# One environment file for every Disquaire host, as docs/scaling.md asks.
write_env() {
    local dir="$1" key access secret
    key="$(cat "$dir/secret_key" 2>/dev/null || true)"
    if [[ -z "$key" ]]; then
        key="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
        echo "$key" >"$dir/secret_key"
    fi
    access="lab$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    secret="$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')"
    if [[ -f "$dir/s3_keys" ]]; then read -r access secret <"$dir/s3_keys"; fi
    echo "$access $secret" >"$dir/s3_keys"
    local whsec
    whsec="$(cat "$dir/stripe_webhook_secret" 2>/dev/null || echo "whsec_lab$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')")"
    echo "$whsec" >"$dir/stripe_webhook_secret"
    cat >"$dir/disquaire.env" <<EOF
# The one environment file of the lab's Disquaire hosts (app1, app2, worker1, worker2).
DISQUAIRE_PRODUCTION=1
DISQUAIRE_SECRET_KEY=$key
DISQUAIRE_SITE_URL=http://$(addr lb)
DISQUAIRE_ALLOWED_HOSTS=$(addr lb)
DISQUAIRE_CSRF_TRUSTED_ORIGINS=http://$(addr lb)
# No TLS inside the lab: nginx listens on plain HTTP.
DISQUAIRE_SSL_REDIRECT=0
DISQUAIRE_SECURE_COOKIES=0
DISQUAIRE_HSTS_SECONDS=0
DISQUAIRE_TRUSTED_PROXIES=$(addr lb)
DATABASE_URL=postgres://disquaire@$(addr pg1):5432/disquaire
DISQUAIRE_DATABASE_REPLICA_URL=postgres://disquaire@$(addr pg2):5432/disquaire
DISQUAIRE_DB_CONN_MAX_AGE=60
DISQUAIRE_DB_CONNECT_TIMEOUT=5
DISQUAIRE_CACHE_URL=redis://$(addr redis):6379/0
DISQUAIRE_STORAGE=s3
DISQUAIRE_S3_BUCKET=$BUCKET
DISQUAIRE_S3_ENDPOINT_URL=http://$(addr s3):$S3_PORT
DISQUAIRE_S3_ACCESS_KEY=$access
DISQUAIRE_S3_SECRET_KEY=$secret
DISQUAIRE_S3_REGION=us-east-1
DISQUAIRE_FILE_SERVING=x-accel
# Set explicitly: the lab sells with the test provider, which production refuses unless told,
# and with Stripe's API played by the fake of tests/payments/fake_stripe.py, which
# bench/cluster.py runs on the fan host (without it, the card payment fails cleanly).
DISQUAIRE_PAYMENT_PROVIDERS=test,stripe,manual
DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION=1
DISQUAIRE_STRIPE_SECRET_KEY=sk_test_lab
DISQUAIRE_STRIPE_WEBHOOK_SECRET=$whsec
DISQUAIRE_STRIPE_API_BASE=http://$(addr fan):$STRIPE_PORT
DISQUAIRE_LOG_LEVEL=WARNING
DISQUAIRE_METRICS_TOKEN=lab-metrics
# Every visitor of a benchmark comes from the one fan host: the per-address checkout
# limits (30 an hour) would turn release day into 429s.
DISQUAIRE_CHECKOUT_PER_IP=1000000
DISQUAIRE_CHECKOUT_PER_EMAIL=1000000
# /healthz answers only the machine itself or a monitor holding this token.
DISQUAIRE_HEALTHZ_TOKEN=lab-health
DISQUAIRE_TASK_STALE_SECONDS=30
DISQUAIRE_WORKER_PERIODIC_SECONDS=10
EOF
}

# The operators' nginx site (deploy/nginx/disquaire.conf) with the lab's addresses: the
# TLS lines (marked "# tls") dropped, the upstream listing both app hosts.
write_nginx() {
    local dir="$1" site
    site="$(grep -v '# tls$' "$ROOT/deploy/nginx/disquaire.conf")"
    local upstream="    server $(addr app1):$APP_PORT max_fails=3 fail_timeout=10s;
    server $(addr app2):$APP_PORT max_fails=3 fail_timeout=10s;"
    site="${site/"    server 127.0.0.1:8000;"/$upstream}"
    site="${site/"listen 443 ssl http2;"/"listen $(addr lb):80;"}"
    site="${site//"/var/cache/nginx/disquaire"/"$LAB/lb/cache"}"
    site="${site//"/var/lib/disquaire"/"$LAB/lb/data"}"
    site="${site//"/etc/nginx/disquaire_proxy_params"/"$ROOT/deploy/nginx/disquaire_proxy_params"}"
    site="${site/"        allow 127.0.0.1;"/"        allow 127.0.0.1;
        allow $NET.0/24;"}"
    for needed in "server $(addr app1)" "listen $(addr lb):80;" "$LAB/lb/cache" "root $LAB/lb/data;"; do
        [[ "$site" == *"$needed"* ]] || die "deploy/nginx/disquaire.conf changed: cannot place $needed"
    done
    echo "$site" >"$dir/nginx-site.conf"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $LAB/lb/nginx.pid;
error_log $LAB/lb/nginx-error.log warn;
events { worker_connections 2048; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    log_format lab '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                   '\$request_time \$upstream_addr \$upstream_status \$upstream_cache_status';
    access_log $LAB/lb/nginx-access.log lab buffer=64k flush=2s;
    client_body_temp_path $LAB/lb/temp/body;
    proxy_temp_path $LAB/lb/temp/proxy;
    fastcgi_temp_path $LAB/lb/temp/fastcgi;
    uwsgi_temp_path $LAB/lb/temp/uwsgi;
    scgi_temp_path $LAB/lb/temp/scgi;
    # A killed app host: try the other one for idempotent requests (nginx's default).
    proxy_next_upstream error timeout http_502;
    proxy_connect_timeout 2s;
    include $dir/nginx-site.conf;
}
EOF
}

write_postgres() {
    local dir="$1"
    cat >"$dir/postgresql-lab.conf" <<EOF
# Appended to each lab PostgreSQL's postgresql.conf.
listen_addresses = '__ADDR__'
port = 5432
unix_socket_directories = '__RUN__'
max_connections = 120
shared_buffers = 128MB
wal_level = replica
max_wal_senders = 4
wal_keep_size = 256MB
hot_standby = on
fsync = on
logging_collector = off
EOF
    cat >"$dir/pg_hba-lab.conf" <<EOF
# Only the lab's network, and the local socket of the lab's own folder.
local all all trust
host all all $NET.0/24 trust
host replication replicator $NET.0/24 trust
EOF
}

write_redis() {
    local dir="$1"
    cat >"$dir/redis.conf" <<EOF
# docs/scaling.md step 4: a cache, no persistence, bounded memory.
bind $(addr redis)
port 6379
protected-mode no
save ""
appendonly no
maxmemory 256mb
maxmemory-policy allkeys-lru
dir $LAB/redis
EOF
}

write_ceph() {
    local dir="$1" fsid
    fsid="$(cat "$dir/ceph_fsid" 2>/dev/null || cat /proc/sys/kernel/random/uuid)"
    echo "$fsid" >"$dir/ceph_fsid"
    cat >"$dir/ceph.conf" <<EOF
# A single-node Ceph cluster for the lab: one monitor, one OSD keeping its objects in
# memory (memstore: the lab's files live as long as the lab), one RADOS Gateway.
[global]
fsid = $fsid
mon host = [v2:$(addr s3):3300,v1:$(addr s3):6789]
public network = $NET.0/24
auth cluster required = none
auth service required = none
auth client required = none
# Without cephx there is no "secure" connection mode; radosgw asks for it by default.
ms mon client mode = crc
ms client mode = crc
auth allow insecure global id reclaim = false
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296
osd memory target = 1073741824
run dir = $LAB/s3/run
admin socket = $LAB/s3/run/\$cluster-\$name.asok
log file = $LAB/s3/log/\$cluster-\$name.log
log to stderr = false
err to stderr = true
mon data = $LAB/s3/mon/\$cluster-\$id
osd data = $LAB/s3/osd/\$cluster-\$id
keyring = /dev/null
ms bind ipv6 = false
[mon]
mon data avail warn = 1
mon data avail crit = 0
[client.rgw.s3]
rgw frontends = beast endpoint=$(addr s3):$S3_PORT
rgw data = $LAB/s3/rgw
rgw dns name = $(addr s3)
rgw thread pool size = 64
EOF
}

config_write() {
    local dir="$1"
    mkdir -p "$dir"
    write_env "$dir"
    write_nginx "$dir"
    write_postgres "$dir"
    write_redis "$dir"
    write_ceph "$dir"
}

# ---------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------

net_up() {
    ip netns add "$(ns sw)"
    ip -n "$(ns sw)" link set lo up
    ip -n "$(ns sw)" link add br0 type bridge
    ip -n "$(ns sw)" link set br0 up
    local host
    for host in $HOSTS; do
        ip netns add "$(ns "$host")"
        ip -n "$(ns "$host")" link set lo up
        # Both ends are born inside the namespaces: the machine's own network never sees them.
        ip -n "$(ns sw)" link add "p-$host" type veth peer name eth0 netns "$(ns "$host")"
        ip -n "$(ns sw)" link set "p-$host" master br0 up
        ip -n "$(ns "$host")" addr add "$(addr "$host")/24" dev eth0
        ip -n "$(ns "$host")" link set eth0 up
    done
}

net_down() {
    local name
    for name in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX-" || true); do
        ip netns delete "$name" 2>/dev/null || true
    done
}

# ---------------------------------------------------------------------------------------
# Processes: each service runs in its own session; its pid is kept in $LAB/<host>/pid.
# ---------------------------------------------------------------------------------------

# spawn HOST LOG CMD...: start CMD on HOST in the background, in a new session.
spawn() {
    local host="$1" logfile="$2"; shift 2
    ip netns exec "$(ns "$host")" setsid "$@" >>"$logfile" 2>&1 </dev/null &
    echo $! >"$LAB/$host/pid"
}

# Every process of a host: the namespace knows them (`ip netns pids`).
host_pids() { ip netns pids "$(ns "$1")" 2>/dev/null || true; }

host_signal() {
    local host="$1" sig="$2" pid
    for pid in $(host_pids "$host"); do kill "-$sig" "$pid" 2>/dev/null || true; done
}

host_stop() {
    local host="$1" deadline
    if [[ "$host" == pg* && -f "$LAB/$host/data/postmaster.pid" ]]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$LAB/$host/data" -m fast -w -t 20 stop \
            >/dev/null 2>&1 || true
    fi
    host_signal "$host" TERM
    deadline=$((SECONDS + 20))
    while [[ -n "$(host_pids "$host")" ]] && ((SECONDS < deadline)); do sleep 0.2; done
    host_signal "$host" KILL
}

env_exec() {
    # Run the rest as a Disquaire host would, with the lab's environment file.
    local host="$1"; shift
    ( set -a; . "$LAB/etc/disquaire.env"; set +a
      export DISQUAIRE_DATA_DIR="$LAB/$host/data"
      in_ns "$host" "$@" )
}

http_ok() { # ns url: 200 from the url, asked for the site's name as nginx asks
    in_ns "$1" "$PY" -c "import sys, urllib.request as u; sys.exit(u.urlopen(u.Request(sys.argv[1], headers={'Host': sys.argv[2], 'Authorization': 'Bearer lab-health'}), timeout=3).status != 200)" "$2" "$(addr lb)"
}

tcp_open() { # ns host port
    in_ns "$1" "$PY" -c "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()" "$2" "$3"
}

start_pg1() {
    local d="$LAB/pg1"
    if [[ ! -d "$d/data" ]]; then
        mkdir -p "$d/run"; chown postgres: "$d" "$d/run"
        runuser -u postgres -- "$PG_BIN/initdb" -D "$d/data" -U postgres -A trust -E UTF8 >"$d/initdb.log"
        sed -e "s|__ADDR__|$(addr pg1)|" -e "s|__RUN__|$d/run|" "$LAB/etc/postgresql-lab.conf" >>"$d/data/postgresql.conf"
        cp "$LAB/etc/pg_hba-lab.conf" "$d/data/pg_hba.conf"
    fi
    in_ns pg1 runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -t 60 start >/dev/null
    cat "$d/data/postmaster.pid" | head -n 1 >"$d/pid"
}

start_pg2() {
    local d="$LAB/pg2"
    if [[ ! -d "$d/data" ]]; then
        mkdir -p "$d/run"; chown postgres: "$d" "$d/run"
        # docs/scaling.md: the replica starts as a copy of the primary that follows it.
        in_ns pg2 runuser -u postgres -- "$PG_BIN/pg_basebackup" -h "$(addr pg1)" -U replicator \
            -D "$d/data" -R -X stream -c fast >"$d/basebackup.log" 2>&1
        sed -i "s|^listen_addresses = .*|listen_addresses = '$(addr pg2)'|; s|^unix_socket_directories = .*|unix_socket_directories = '$d/run'|" \
            "$d/data/postgresql.conf"
    fi
    in_ns pg2 runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -t 60 start >/dev/null
    head -n 1 "$d/data/postmaster.pid" >"$d/pid"
}

ceph() { in_ns s3 /usr/bin/ceph -c "$LAB/etc/ceph.conf" --connect-timeout 10 "$@"; }

start_s3_radosgw() {
    local d="$LAB/s3" conf="$LAB/etc/ceph.conf" fsid
    fsid="$(cat "$LAB/etc/ceph_fsid")"
    mkdir -p "$d/run" "$d/log" "$d/mon" "$d/osd" "$d/rgw"
    if [[ ! -d "$d/mon/ceph-s3" ]]; then
        monmaptool --create --clobber --fsid "$fsid" \
            --addv s3 "[v2:$(addr s3):3300,v1:$(addr s3):6789]" "$d/monmap" >/dev/null
        in_ns s3 ceph-mon -c "$conf" --mkfs -i s3 --monmap "$d/monmap" >"$d/log/mkfs-mon.out" 2>&1
    fi
    ( ip netns exec "$(ns s3)" setsid ceph-mon -f -c "$conf" -i s3 >>"$d/log/mon.out" 2>&1 </dev/null & echo $! >"$d/mon.pid" )
    wait_until 60 "the Ceph monitor" ceph -s
    if [[ ! -d "$d/osd/ceph-0" ]]; then
        local uuid; uuid="$(cat /proc/sys/kernel/random/uuid)"
        ceph osd new "$uuid" >/dev/null
        mkdir -p "$d/osd/ceph-0"
        in_ns s3 ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" >"$d/log/mkfs-osd.out" 2>&1
    fi
    ( ip netns exec "$(ns s3)" setsid ceph-osd -f -c "$conf" -i 0 >>"$d/log/osd.out" 2>&1 </dev/null & echo $! >"$d/osd.pid" )
    wait_until 90 "the Ceph OSD" sh -c "ip netns exec $(ns s3) ceph -c $conf osd dump 2>/dev/null | grep -q '^osd.0 up'"
    ( ip netns exec "$(ns s3)" setsid radosgw -f -c "$conf" -n client.rgw.s3 >>"$d/log/rgw.out" 2>&1 </dev/null & echo $! >"$d/pid" )
    wait_until 120 "the RADOS Gateway" tcp_open s3 "$(addr s3)" "$S3_PORT"
    local access secret
    read -r access secret <"$LAB/etc/s3_keys"
    if ! in_ns s3 radosgw-admin -c "$conf" user info --uid=disquaire >/dev/null 2>&1; then
        in_ns s3 radosgw-admin -c "$conf" user create --uid=disquaire --display-name=Disquaire \
            --access-key="$access" --secret-key="$secret" >/dev/null
    fi
}

start_s3_moto() {
    # A stand-in for a real object store (DQLAB_S3=moto): moto's S3 server, in memory.
    spawn s3 "$LAB/s3/moto.log" "$ROOT/.venv/bin/moto_server" -H "$(addr s3)" -p "$S3_PORT"
    wait_until 60 "the moto S3 server" tcp_open s3 "$(addr s3)" "$S3_PORT"
}

bucket_create() {
    local access secret
    read -r access secret <"$LAB/etc/s3_keys"
    in_ns s3 "$PY" - "$BUCKET" "http://$(addr s3):$S3_PORT" "$access" "$secret" <<'EOF'
import sys, boto3, botocore.exceptions
bucket, endpoint, access, secret = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access,
                  aws_secret_access_key=secret, region_name="us-east-1")
try:
    s3.head_bucket(Bucket=bucket)
except botocore.exceptions.ClientError:
    s3.create_bucket(Bucket=bucket)
EOF
}

start_host() {
    local host="$1" d="$LAB/$1"
    mkdir -p "$d"
    case "$host" in
        pg1) start_pg1 ;;
        pg2) start_pg2 ;;
        redis) spawn redis "$d/redis.log" redis-server "$LAB/etc/redis.conf" ;;
        s3) if [[ "$S3_KIND" == moto ]]; then start_s3_moto; else start_s3_radosgw; fi ;;
        app1 | app2)
            ( set -a; . "$LAB/etc/disquaire.env"; set +a
              export DISQUAIRE_DATA_DIR="$d/data"
              spawn "$host" "$d/serve.log" "$PY" -m disquaire serve --production --no-worker \
                  --no-migrate --host "$(addr "$host")" --port "$APP_PORT" --processes 1 --threads 4 )
            ;;
        worker1 | worker2)
            ( set -a; . "$LAB/etc/disquaire.env"; set +a
              export DISQUAIRE_DATA_DIR="$d/data"
              spawn "$host" "$d/worker.log" "$PY" -m disquaire worker --threads 1 )
            ;;
        lb)
            mkdir -p "$d/temp" "$d/cache"
            chown -R www-data: "$d/temp" "$d/cache" 2>/dev/null || true
            spawn lb "$d/nginx.out" nginx -c "$LAB/etc/nginx.conf" -p "$d"
            ;;
        fan) ;;
        *) die "no host $host" ;;
    esac
}

wait_host() {
    local host="$1"
    case "$host" in
        redis) wait_until 30 "Redis" tcp_open redis "$(addr redis)" 6379 ;;
        app1 | app2) wait_until 120 "$host" http_ok "$host" "http://$(addr "$host"):$APP_PORT/healthz" ;;
        lb) wait_until 30 "nginx" tcp_open lb "$(addr lb)" 80 ;;
    esac
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

need_root() {
    [[ "$(id -u)" == 0 ]] || die "the lab needs root (network namespaces); run: sudo $0 $*"
    command -v ip >/dev/null || die "ip (iproute2) is missing: apt-get install iproute2"
    ip netns list >/dev/null 2>&1 || die "ip netns does not work here"
}

cmd_down() {
    need_root down
    local watchdog
    watchdog="$(cat "$LAB/watchdog.pid" 2>/dev/null || true)"
    if [[ -n "$watchdog" && "$watchdog" != "$$" ]]; then kill "$watchdog" 2>/dev/null || true; fi
    local host
    # The front first, the data last: no request meets a missing database on the way out.
    for host in lb app1 app2 worker1 worker2 fan redis s3 pg2 pg1; do
        ip netns list 2>/dev/null | grep -q "^$(ns "$host")\b" && host_stop "$host"
    done
    net_down
    if [[ -d "$LAB" ]]; then rm -rf "$LAB"; fi
    log "lab down"
}

# The Debian packages the lab's hosts run, installed when missing (root, apt).
lab_packages_ensure() {
    local want=() tool
    command -v nginx >/dev/null || want+=(nginx-light)
    command -v redis-server >/dev/null || want+=(redis-server)
    if [[ "$S3_KIND" == radosgw ]]; then
        for tool in ceph-mon ceph-osd radosgw; do
            command -v "$tool" >/dev/null || want+=("$tool")
        done
    fi
    ((${#want[@]})) || return 0
    command -v apt-get >/dev/null || return 0
    log "installing ${want[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null) \
        || log "could not install ${want[*]}"
}

cmd_up() {
    need_root up
    lab_packages_ensure
    for tool in nginx redis-server "$PG_BIN/pg_ctl" "$PY"; do
        command -v "$tool" >/dev/null || die "$tool is missing (see docs/lab.md for the packages)"
    done
    if [[ "$S3_KIND" == radosgw ]]; then
        for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool; do
            command -v "$tool" >/dev/null || die "$tool is missing: apt-get install radosgw ceph-mon ceph-osd"
        done
    fi
    if ip netns list 2>/dev/null | grep -q "^$PREFIX-" || [[ -d "$LAB" ]]; then
        log "a stale lab is there: tearing it down first"
        cmd_down
    fi
    mkdir -p "$LAB/etc"
    chmod 755 "$LAB"
    for host in $HOSTS; do mkdir -p "$LAB/$host"; done
    config_write "$LAB/etc"
    log "network: $NET.0/24 in namespaces $PREFIX-*"
    net_up
    # The lab stops by itself: a forgotten lab is torn down after DQLAB_TTL seconds.
    if ((TTL > 0)); then
        setsid bash -c "sleep $TTL; exec '$HERE/lab.sh' down" >/dev/null 2>&1 </dev/null &
        echo $! >"$LAB/watchdog.pid"
    fi
    log "PostgreSQL primary on pg1"
    start_host pg1
    in_ns pg1 "$PG_BIN/psql" -h "$(addr pg1)" -U postgres -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE disquaire LOGIN" -c "CREATE ROLE replicator LOGIN REPLICATION" \
        -c "CREATE DATABASE disquaire OWNER disquaire" >/dev/null
    log "streaming replica on pg2 (pg_basebackup -R)"
    start_host pg2
    log "Redis on redis"
    start_host redis
    wait_host redis
    log "S3 on s3 ($S3_KIND)"
    start_host s3
    bucket_create
    log "migrate once, from app1"
    env_exec app1 "$PY" -m disquaire migrate --no-input -v 0
    log "collectstatic on lb, the folder nginx serves"
    env_exec lb "$PY" -m disquaire collectstatic --no-input -v 0
    for host in app1 app2 worker1 worker2; do
        log "start $host"
        start_host "$host"
    done
    wait_host app1
    wait_host app2
    log "nginx on lb"
    start_host lb
    wait_host lb
    cmd_status
    log "lab up: http://$(addr lb)/ from the fan host (deploy/lab/lab.sh exec fan ...)"
}

cmd_status() {
    local host pids
    for host in $HOSTS; do
        if ! ip netns list 2>/dev/null | grep -q "^$(ns "$host")\b"; then
            printf '%-8s %-14s %s\n' "$host" "$(addr "$host")" "absent"
            continue
        fi
        pids="$(host_pids "$host" | tr '\n' ' ')"
        printf '%-8s %-14s %s\n' "$host" "$(addr "$host")" "${pids:-no process}"
    done
}

cmd_kill() {
    need_root kill
    host_signal "$1" KILL
    # A killed PostgreSQL leaves its pid file: the next start recovers from the WAL.
}

cmd_cut() {
    need_root cut
    local host="$1" seconds="$2"
    ip -n "$(ns sw)" link set "p-$host" down
    sleep "$seconds"
    ip -n "$(ns sw)" link set "p-$host" up
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    config)
        [[ -n "${2:-}" ]] || die "usage: $0 config DIR"
        LAB="${DQLAB_DIR:-$2}"
        config_write "$2"
        echo "$2"
        ;;
    exec) shift; need_root exec; host="$1"; shift; in_ns "$host" "$@" ;;
    env-exec) shift; need_root env-exec; host="$1"; shift; env_exec "$host" "$@" ;;
    kill) need_root kill; cmd_kill "${2:?host}" ;;
    start) need_root start; start_host "${2:?host}"; wait_host "$2" ;;
    restart) need_root restart; host_stop "${2:?host}"; start_host "$2"; wait_host "$2" ;;
    cut) cmd_cut "${2:?host}" "${3:?seconds}" ;;
    addr) addr "${2:?host}" ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
