#!/usr/bin/env bash
# tests/e2e/clock.sh — the wall clock, seen where users see it: the HTTP
# Date header and the boot console (kernel/wallclock.h).
#
# Three boots of the shipped httpd over user networking, each asked for
# GET /healthz with curl through a 127.0.0.1 forward:
#   e2e.clock.rtc          QEMU's CMOS clock set to 2031-05-06T07:08:09
#                          (-rtc base=...): the console says "clock: 2031-05-06
#                          07:08:.. UTC (from CMOS RTC)" and Date is that day
#                          and minute, seconds later
#   e2e.clock.host-time    no date= and QEMU's default clock (the host's
#                          UTC): Date is within 3 s of the host's clock
#   e2e.clock.date-word    date=1234567890 with the CMOS clock at 2031: the
#                          word wins ("from date="), Date is 2009-02-13
#                          23:31:3x GMT
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
P=e2e.clock
H=127.0.0.1

# boot_and_get NAME CMDLINE QEMU-EXTRA...: boot, wait for the listener, GET
# /healthz; sets LOG, DATE (the Date header) and WHY (empty when all went).
boot_and_get() {
	local name=$1 cmdline=$2 rc port try
	shift 2
	LOG=$E2E_LOGS/$P.$name.log DATE="" WHY=""
	for ((try = 0; try < 3; try++)); do
		port=$(e2e_free_ports 1)
		e2e_guest_start GPID "$LOG" --machine q35 --timeout 60 \
			--hostfwd "tcp:$H:$port-:80" --append "$cmdline" -- "$@"
		rc=$?
		[ "$rc" -eq 3 ] || break
	done
	if [ "$rc" -ne 0 ]; then
		WHY="could not start the guest: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
		return 1
	fi
	if ! e2e_wait_log "$LOG" "$GPID" 30 '^httpd: listening on port 80'; then
		WHY="no listening line; log ends: $(e2e_log_tail "$LOG" 3 | e2e_oneline)"
		e2e_stop "$GPID"
		return 1
	fi
	DATE=$(curl -sS -D - -o /dev/null --max-time 10 "http://$H:$port/healthz" 2>&1 |
		tr -d '\r' | sed -n 's/^[Dd]ate: //p')
	e2e_stop "$GPID"
	[ -n "$DATE" ] || { WHY="no Date header from GET /healthz"; return 1; }
	return 0
}

# epoch of an IMF-fixdate, or "" when it is not one
imf_epoch() {
	[[ $1 =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-9]{2}\ (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] || return 0
	date -u -d "$1" +%s 2>/dev/null
}

if e2e_wanted "$P.rtc"; then
	if boot_and_get rtc "app=httpd" -rtc base=2031-05-06T07:08:09; then
		line=$(e2e_log_line "$LOG" '^clock: ')
		t=$(imf_epoch "$DATE") want=$(date -u -d 2031-05-06T07:08:09Z +%s)
		if [[ ! $line =~ ^clock:\ 2031-05-06\ 07:08:[0-9]{2}\ UTC\ \(from\ CMOS\ RTC\)$ ]]; then
			e2e_fail "$P.rtc" "console says \"$line\""
		elif [ -z "$t" ] || [ "$t" -lt "$want" ] || [ "$t" -gt $((want + 30)) ]; then
			e2e_fail "$P.rtc" "Date \"$DATE\" is not 2031-05-06 07:08:09 plus the boot"
		else
			e2e_pass "$P.rtc" "$line; Date: $DATE"
		fi
	else
		e2e_fail "$P.rtc" "$WHY"
	fi
fi

if e2e_wanted "$P.host-time"; then
	if boot_and_get host-time "app=httpd"; then
		t=$(imf_epoch "$DATE") now=$(date -u +%s)
		line=$(e2e_log_line "$LOG" '^clock: ')
		if [ -z "$t" ]; then
			e2e_fail "$P.host-time" "Date \"$DATE\" is not an IMF-fixdate"
		elif [ $((t - now)) -gt 3 ] || [ $((now - t)) -gt 3 ]; then
			e2e_fail "$P.host-time" "Date \"$DATE\" is $((t - now)) s off the host's clock ($line)"
		else
			e2e_pass "$P.host-time" "Date: $DATE, $((t - now)) s off the host's clock; $line"
		fi
	else
		e2e_fail "$P.host-time" "$WHY"
	fi
fi

if e2e_wanted "$P.date-word"; then
	if boot_and_get date-word "app=httpd date=1234567890" -rtc base=2031-05-06T07:08:09; then
		t=$(imf_epoch "$DATE")
		line=$(e2e_log_line "$LOG" '^clock: ')
		if [[ ! $line =~ \(from\ date=\)$ ]]; then
			e2e_fail "$P.date-word" "console says \"$line\""
		elif [ -z "$t" ] || [ "$t" -lt 1234567890 ] || [ "$t" -gt 1234567920 ]; then
			e2e_fail "$P.date-word" "Date \"$DATE\" is not date=1234567890 plus the boot"
		else
			e2e_pass "$P.date-word" "$line; Date: $DATE"
		fi
	else
		e2e_fail "$P.date-word" "$WHY"
	fi
fi
exit 0
