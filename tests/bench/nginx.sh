# A private nginx for the benches that compare with it (gateway_bench.sh, aisloader_bench.sh),
# sourced after tests/lib/playground.sh: config, pid, logs and temp files under $WORK/nginx;
# sendfile on, 2 workers, no access log, keep-alive without a request limit. nginx_relay_up adds
# a second one under $WORK/nginx-relay: a reverse proxy in front of the first, the reference for
# a gateway that relays a GET to the node holding the object.
# shellcheck shell=bash
NGINX_PIDS=()

# nginx_up PORT ROOT [DIRECTIVES]: serves ROOT on 127.0.0.1:PORT (DIRECTIVES go into its server
# block) and waits until it answers; the script's EXIT trap calls nginx_down.
nginx_up() {
  nginx_instance nginx "$1" "root $2;
${3:-}"
}

# nginx_relay_up PORT UPSTREAM_PORT: nginx on 127.0.0.1:PORT relays every request to the nginx
# at UPSTREAM_PORT over kept-alive connections (HTTP/1.1, nginx's default buffering).
nginx_relay_up() {
  nginx_instance nginx-relay "$1" "location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }" "upstream origin { server 127.0.0.1:$2; keepalive 32; }"
}

# nginx_instance DIR PORT SERVER-DIRECTIVES [HTTP-DIRECTIVES]
nginx_instance() {
  local name=$1 port=$2 server=$3 http=${4:-} nginx dir=$WORK/$1
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx >/dev/null
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
user $(id -un) $(id -gn);
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_max_body_size 0;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  default_type application/octet-stream;
  $http
  server {
    listen 127.0.0.1:$port;
    $server
  }
}
CONF
  "$nginx" -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/stderr" &
  NGINX_PIDS+=($!)
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0  # (any answer)
    sleep 0.1
  done
  echo "nginx ($name) did not start: $(tail -n 5 "$dir/error.log" "$dir/stderr")" >&2
  return 1
}

nginx_down() {
  local p
  for p in "${NGINX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  NGINX_PIDS=()
}
