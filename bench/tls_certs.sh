#!/usr/bin/env bash
# bench/tls_certs.sh — the certificates of the HTTPS benchmark (make
# bench-https): a self-signed ECDSA P-256 and an RSA-2048 pair for
# "localhost", made once with openssl into build/bench/tls/ (ecdsa.crt,
# ecdsa.key, rsa.crt, rsa.key; valid 365 days, made anew when one expires
# within a day). Weft bakes them in (make TLS_CERT= TLS_KEY=) and the Linux
# peer's nginx loads the same files (bench/linux/build.sh copies them into
# its initramfs), so both servers sign with the same keys.
#
# usage: bench/tls_certs.sh      prints the directory
set -euo pipefail
dir=$(cd "$(dirname "$0")/.." && pwd)/build/bench/tls
mkdir -p "$dir"
for k in ecdsa rsa; do
	if [ -f "$dir/$k.crt" ] && [ -f "$dir/$k.key" ] &&
		openssl x509 -checkend 86400 -noout -in "$dir/$k.crt" >/dev/null 2>&1; then
		continue
	fi
	case $k in
	ecdsa) new=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
	rsa) new=(-newkey rsa:2048) ;;
	esac
	openssl req -x509 "${new[@]}" -nodes -keyout "$dir/$k.key" -out "$dir/$k.crt" -days 365 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null ||
		{ echo "bench/tls_certs.sh: openssl req ($k) failed" >&2; exit 1; }
done
echo "$dir"
