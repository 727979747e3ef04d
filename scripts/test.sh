#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need (Debian's
# chromium, CJK fonts and PostgreSQL; the Python packages), runs every test on
# SQLite, then every database test again on a throwaway PostgreSQL cluster that
# this script starts on loopback and removes afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

need_debs=()
command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need_debs+=(fonts-wqy-microhei)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_debs+=(postgresql)
if [ ${#need_debs[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_debs[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_debs[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'

[ -n "${CITYBRAIN_SKIP_LINT:-}" ] || .venv/bin/ruff check src tests benchmarks

# A throwaway PostgreSQL cluster on loopback. PostgreSQL refuses to run as root,
# so as root the cluster belongs to an unprivileged user.
pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
pg_dir=$(mktemp -d /tmp/citybrain-pg.XXXXXX)
pg_port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id -u citybrain-test >/dev/null 2>&1 || useradd --system --no-create-home citybrain-test
  chown citybrain-test "$pg_dir"
  as_pg=(runuser -u citybrain-test --)
fi
stop_pg() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U citybrain -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off" start >/dev/null
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U citybrain citybrain_test
pg_url="postgresql://citybrain@127.0.0.1:$pg_port/citybrain_test"

export CITYBRAIN_TEST_ARTIFACTS="${CITYBRAIN_TEST_ARTIFACTS:-test-artifacts}"
echo "== every test on SQLite =="
.venv/bin/pytest "$@"
echo "== database tests on PostgreSQL ($pg_url) =="
CITYBRAIN_TEST_POSTGRES_URL="$pg_url" .venv/bin/pytest -m db --db "$pg_url" "$@"
