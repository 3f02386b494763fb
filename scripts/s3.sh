#!/usr/bin/env bash
# Starts and stops a throwaway S3-compatible server (versitygw, which checks SigV4 signatures) on
# loopback, for tests and local clusters. Nothing here is for production: see docs/deployment.md.
#
#   scripts/s3.sh start DIR [BUCKET]   # fresh posix root in DIR, random root credentials, and
#                                      # BUCKET (default parley) made; prints the endpoint URL
#   scripts/s3.sh stop DIR             # stops the server in DIR (no-op if not running)
#
# DIR/endpoint, DIR/access_key, DIR/secret_key, DIR/bucket hold what a client needs. versitygw is
# built once with Go into ~/go/parley-tools (about 4.5 min on 2 cores), then reused.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,10p' "$0" >&2; exit 2; }

# v1.7.0 is the version the project documents (shared/docs/COMPONENTS.md); pinned so every run
# tests against the same server.
version=v1.7.0
tools=${PARLEY_TOOLS_DIR:-$HOME/go/parley-tools}/versitygw-$version
vgw=$tools/versitygw
region=us-east-1
empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

install() {
  [ -x "$vgw" ] && return 0
  command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
  echo "== installing versitygw $version into $tools (once)" >&2
  mkdir -p "$tools"
  GOBIN="$tools" go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
}

running() { [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    if running; then cat "$dir/endpoint"; exit 0; fi
    install
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    access_key="parley$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    secret_key="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
    rm -rf "$dir/data"
    mkdir -p "$dir/data"
    ROOT_ACCESS_KEY="$access_key" ROOT_SECRET_KEY="$secret_key" \
      setsid "$vgw" --port "127.0.0.1:$port" --quiet posix "$dir/data" >"$dir/versitygw.log" 2>&1 \
      </dev/null &
    echo $! >"$dir/server.pid"
    # Up when it answers HTTP at all (an anonymous request gets 403); bounded wait.
    deadline=$((SECONDS + 30))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" != 000 ]; do
      if ! running || [ $SECONDS -ge $deadline ]; then
        echo "versitygw did not start:" >&2
        tail -n 30 "$dir/versitygw.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    endpoint="http://127.0.0.1:$port"
    bucket=${3:-parley}
    # The bucket, made with curl's own SigV4 signer: a client that shares no code with parley.
    status=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "x-amz-content-sha256: $empty_sha256" \
      --aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" "$endpoint/$bucket")
    [ "$status" = 200 ] || { echo "CreateBucket $bucket: HTTP $status" >&2; exit 1; }
    # Browsers PUT to presigned URLs cross-origin (the web client's origin is not the S3 server's):
    # the bucket answers their CORS preflight.
    cors='<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>'
    cors+='<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>'
    cors+='<AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader>'
    cors+='<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule>'
    cors+='</CORSConfiguration>'
    status=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/xml' \
      -H "x-amz-content-sha256: $(printf %s "$cors" | sha256sum | cut -d' ' -f1)" \
      -H "Content-MD5: $(printf %s "$cors" | openssl md5 -binary | base64)" --data-binary "$cors" \
      --aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" "$endpoint/$bucket?cors=")
    [ "$status" = 200 ] || { echo "PutBucketCors $bucket: HTTP $status" >&2; exit 1; }
    echo "$endpoint" >"$dir/endpoint"
    echo "$access_key" >"$dir/access_key"
    echo "$secret_key" >"$dir/secret_key"
    echo "$bucket" >"$dir/bucket"
    echo "$endpoint"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    dir=$(realpath "$dir")
    if running; then
      pid=$(cat "$dir/server.pid")
      kill "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    fi
    rm -f "$dir/server.pid"
    ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
