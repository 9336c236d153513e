# A private nginx for the benches that compare with it (gateway_bench.sh, aisloader_bench.sh),
# sourced after tests/lib/playground.sh: config, pid, logs and temp files under $WORK/nginx;
# sendfile on, 2 workers, no access log, keep-alive without a request limit.
# shellcheck shell=bash
NGINX_PID=""

# nginx_up PORT ROOT [DIRECTIVES]: serves ROOT on 127.0.0.1:PORT (DIRECTIVES go into its server
# block) and waits until it answers; the script's EXIT trap calls nginx_down.
nginx_up() {
  local port=$1 root=$2 extra=${3:-} nginx
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
user $(id -un) $(id -gn);
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_max_body_size 0;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    root $root;
$extra
  }
}
EOF
  "$nginx" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>>"$WORK/nginx/stderr" &
  NGINX_PID=$!
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0  # (any answer)
    sleep 0.1
  done
  echo "nginx did not start: $(tail -n 5 "$WORK/nginx/error.log" "$WORK/nginx/stderr")" >&2
  return 1
}

nginx_down() {
  [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null
  NGINX_PID=""
}
