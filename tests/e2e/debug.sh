#!/usr/bin/env bash
# tests/e2e/debug.sh — /debug/ in app=httpd (debug=on) with curl over
# QEMU user networking, q35, 2 CPUs, two guests.
#
#   e2e.debug.tasks      /debug/tasks lists the known tasks with states
#                        and symbolized frames: "main" waiting in accept
#                        down to httpd_main, "https-accept", "net-timers"
#                        asleep, the handler's own task running in
#                        rt_tasks_each; every frame names a function of
#                        `nm build/weft`; the "N tasks" footer counts them
#   e2e.debug.profile    a 2 s profile under wrk's load, ?format=folded:
#                        every line "a;b;c COUNT", the counts add up to
#                        X-Profile-Samples (> 0), the frames are functions
#                        of the kernel and the request path is among them
#   e2e.debug.svg        the default format: image/svg+xml that Python's
#                        xml.etree parses, an <svg> with boxes and titles
#   e2e.debug.pprof      ?format=pprof: gzip'd profile.proto that
#                        `go tool pprof -top` reads (Type: cpu, the
#                        kernel's functions by name); without Go, that
#                        Python's gzip opens it and it holds those names
#   e2e.debug.bad        seconds=0, 61, x and format=png get 400; a second
#                        profile while one runs gets 409; POST gets 405
#   e2e.debug.off        without debug=on: /debug/tasks, /debug/profile and
#                        /debug/ are 404 (the static site's), /healthz 200
#
# Needs curl, wrk, python3, nm. Logs: $WEFT_TEST_LOGS/e2e.debug.*.log.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

P=e2e.debug
ON=("$P.tasks" "$P.profile" "$P.svg" "$P.pprof" "$P.bad")
ALL=("${ON[@]}" "$P.off")
e2e_any_wanted "${ALL[@]}" || exit 0
for t in curl wrk python3 nm; do
	command -v $t >/dev/null || { e2e_fail_all "no $t" "${ALL[@]}"; exit 0; }
done
CURL=(curl -s -m 30)

# boot NAME APPEND...: a guest serving on a free port; sets HP, GPID, GLOG.
boot() {
	local name=$1 rc i
	shift
	GLOG=$E2E_LOGS/$P.$name.log
	read -r HP <<<"$(e2e_free_ports 1)"
	for _ in 1 2 3; do
		e2e_guest_start GPID "$GLOG" --machine q35 --smp 2 --timeout 300 \
			--append "$*" --hostfwd "tcp:127.0.0.1:$HP-:80"
		rc=$?
		[ "$rc" -eq 3 ] || break
		read -r HP <<<"$(e2e_free_ports 1)"
	done
	e2e_wait_log "$GLOG" "$GPID" 60 '^httpd: listening' || return 1
	for ((i = 0; i < 50; i++)); do
		[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/healthz")" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }

# The kernel's function names, for "frames name real functions".
nm "$E2E_KERNEL" 2>/dev/null | awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u >"$E2E_TMP/syms"

if e2e_any_wanted "${ON[@]}"; then
	if ! boot on debug=on; then
		e2e_fail_all "the guest with debug=on did not serve (log $GLOG)" "${ON[@]}"
	else
		U=http://127.0.0.1:$HP

		if e2e_wanted "$P.tasks"; then
			# A task seen at one instant: "main" may be between two
			# accepts (just woken by the boot's /healthz), so a few looks.
			for ((try = 0; try < 5; try++)); do
			"${CURL[@]}" "$U/debug/tasks" >"$E2E_TMP/tasks.txt"
			why=$(python3 - "$E2E_TMP/tasks.txt" "$E2E_TMP/syms" <<-'EOF'
			import re, sys
			text = open(sys.argv[1]).read()
			syms = set(open(sys.argv[2]).read().split())
			head = re.compile(r'^task (\d+) "([^"]*)" \[(running|runnable|waiting|parking|claimed)(?:: ([^,\]]+))?(?:, cpu (\d+))?(?:, pinned)?, (\d+\.\d{3}) s\]:$')
			frame = re.compile(r'^  #(\d+) +0x[0-9a-f]{16}  (\S+)\+0x[0-9a-f]+$')
			tasks, cur, bad = [], None, []
			for line in text.splitlines():
			    m = head.match(line)
			    if m:
			        cur = dict(id=int(m[1]), name=m[2], state=m[3], why=m[4], frames=[])
			        tasks.append(cur)
			    elif frame.match(line) and cur is not None:
			        f = frame.match(line)[2]
			        cur["frames"].append(f)
			        if f not in syms: bad.append(f)
			    elif line.startswith("task "):
			        print("a task line that does not parse: %r;" % line)
			def has(name, state, why=None, fn=None):
			    for t in tasks:
			        if t["name"] == name and t["state"] == state and (why is None or t["why"] == why) \
			           and (fn is None or fn in t["frames"]):
			            return True
			    print("no task %s %s%s%s;" % (name, state, ": " + why if why else "", " through " + fn if fn else ""))
			has("main", "waiting", "accept", "httpd_main")
			has("https-accept", "waiting", "accept", "net_accept_until")
			has("net-timers", "waiting", "sleep", "timers_task")
			has("http", "running", None, "rt_tasks_each")
			if bad: print("frames that are no kernel function: %s;" % " ".join(sorted(set(bad))[:5]))
			m = re.search(r'^(\d+) tasks$', text, re.M)
			if not m or int(m[1]) != len(tasks): print("footer %r for %d tasks;" % (m and m[0], len(tasks)))
			nf = sum(len(t["frames"]) for t in tasks)
			print("OK %d tasks, %d frames" % (len(tasks), nf))
			EOF
			) || why+=" (python failed)"
			[[ "$why" == OK* ]] && break
			sleep 0.5
			done
			if [[ "$why" == OK* ]]; then e2e_pass "$P.tasks" "${why#OK }"; else
				e2e_fail "$P.tasks" "${why%OK*}: $(head -c 300 "$E2E_TMP/tasks.txt" | e2e_oneline)"; fi
		fi

		if e2e_wanted "$P.profile"; then
			wrk -t1 -c8 -d4s "$U/" >"$E2E_TMP/wrk.txt" 2>&1 &
			WPID=$!
			sleep 0.5
			"${CURL[@]}" -D "$E2E_TMP/prof.h" "$U/debug/profile?seconds=2&format=folded" >"$E2E_TMP/prof.txt"
			wait "$WPID"
			why=$(python3 - "$E2E_TMP/prof.txt" "$E2E_TMP/prof.h" "$E2E_TMP/syms" <<-'EOF'
			import re, sys
			lines = open(sys.argv[1]).read().splitlines()
			hdr = open(sys.argv[2]).read()
			syms = set(open(sys.argv[3]).read().split())
			m = re.search(r'^X-Profile-Samples: (\d+)', hdr, re.M | re.I)
			want = int(m[1]) if m else -1
			total, names, bad = 0, set(), []
			for l in lines:
			    m = re.match(r'^(\S+) (\d+)$', l)
			    if not m: bad.append(l); continue
			    total += int(m[2])
			    names.update(m[1].split(";"))
			if bad: print("lines not folded: %r;" % bad[:3])
			if want <= 0 or total != want: print("counts add to %d, X-Profile-Samples %d;" % (total, want))
			unknown = sorted(n for n in names if n not in syms)
			if unknown: print("names that are no kernel function: %s;" % " ".join(unknown[:5]))
			path = {"http_serve_conn", "task_main"}
			if not names & path: print("no frame of the request path (%s);" % ", ".join(sorted(path)))
			print("OK %d samples in %d stacks, %d functions" % (total, len(lines), len(names)))
			EOF
			) || why+=" (python failed)"
			if [[ "$why" == OK* ]]; then e2e_pass "$P.profile" "${why#OK }"; else
				e2e_fail "$P.profile" "${why%OK*}: $(head -c 300 "$E2E_TMP/prof.txt" | e2e_oneline)"; fi
		fi

		if e2e_wanted "$P.svg"; then
			"${CURL[@]}" -o "$E2E_TMP/prof.svg" -w '%{http_code} %{content_type}\n' \
				"$U/debug/profile?seconds=1" >"$E2E_TMP/svg.code" &
			SPID=$!
			"${CURL[@]}" -o /dev/null "$U/" "$U/status" "$U/metrics" "$U/debug/tasks"
			wait "$SPID"
			why=$(python3 - "$E2E_TMP/prof.svg" "$E2E_TMP/svg.code" <<-'EOF'
			import sys, xml.etree.ElementTree as ET
			code = open(sys.argv[2]).read().split()
			if code[:2] != ["200", "image/svg+xml"]: print("answer %s;" % code)
			try:
			    root = ET.parse(sys.argv[1]).getroot()
			except ET.ParseError as e:
			    print("not XML: %s;" % e); sys.exit(0)
			ns = "{http://www.w3.org/2000/svg}"
			if root.tag != ns + "svg": print("root %s;" % root.tag)
			rects = list(root.iter(ns + "rect"))
			titles = [t.text for t in root.iter(ns + "title")]
			if len(rects) < 2 or not any(t.startswith("all (") for t in titles):
			    print("%d boxes, titles %r;" % (len(rects), titles[:3]))
			print("OK %d boxes, %d titles" % (len(rects), len(titles)))
			EOF
			) || why+=" (python failed)"
			if [[ "$why" == OK* ]]; then e2e_pass "$P.svg" "${why#OK }"; else
				e2e_fail "$P.svg" "${why%OK*}"; fi
		fi

		if e2e_wanted "$P.pprof"; then
			wrk -t1 -c8 -d2s "$U/" >"$E2E_TMP/wrk2.txt" 2>&1 &
			WPID=$!
			sleep 0.3
			c=$("${CURL[@]}" -o "$E2E_TMP/prof.pb.gz" -w '%{http_code}' \
				"$U/debug/profile?seconds=1&format=pprof")
			wait "$WPID"
			why=""
			[ "$c" = 200 ] || why+="answer $c; "
			if command -v go >/dev/null; then
				HOME=$E2E_TMP PPROF_TMPDIR=$E2E_TMP go tool pprof -top "$E2E_TMP/prof.pb.gz" \
					>"$E2E_TMP/pprof.top" 2>&1 || why+="go tool pprof failed; "
				grep -q '^Type: cpu' "$E2E_TMP/pprof.top" || why+="no 'Type: cpu'; "
				grep -qE ' (http_serve_conn|task_main)$' "$E2E_TMP/pprof.top" ||
					why+="no request-path function in the top list; "
				how="go tool pprof: $(grep -m1 '^Duration' "$E2E_TMP/pprof.top")"
			else
				python3 -c 'import gzip, sys; d = gzip.open(sys.argv[1]).read(); sys.exit(not (b"task_main" in d or b"http_serve_conn" in d))' \
					"$E2E_TMP/prof.pb.gz" || why+="gzip'd profile without the request path's names; "
				how="no go: gzip and names checked"
			fi
			if [ -z "$why" ]; then e2e_pass "$P.pprof" "$how"; else
				e2e_fail "$P.pprof" "$why$(head -c 300 "$E2E_TMP/pprof.top" 2>/dev/null | e2e_oneline)"; fi
		fi

		if e2e_wanted "$P.bad"; then
			why=""
			for q in "seconds=0" "seconds=61" "seconds=x" "seconds=" "format=png"; do
				c=$(code "$U/debug/profile?$q")
				[ "$c" = 400 ] || why+="$q: $c; "
			done
			"${CURL[@]}" -o /dev/null "$U/debug/profile?seconds=2&format=folded" &
			BPID=$!
			sleep 0.7
			c=$(code "$U/debug/profile?seconds=1&format=folded")
			[ "$c" = 409 ] || why+="a second profile: $c; "
			wait "$BPID"
			c=$(code "$U/debug/profile?seconds=1&format=folded")
			[ "$c" = 200 ] || why+="after the first ended: $c; "
			c=$(code -X POST "$U/debug/tasks")
			[ "$c" = 405 ] || why+="POST: $c; "
			c=$(code "$U/debug/nosuch")
			[ "$c" = 404 ] || why+="/debug/nosuch: $c; "
			if [ -z "$why" ]; then e2e_pass "$P.bad" "400 x5, 409, 405, 404"; else
				e2e_show_tail "$P.bad" "$GLOG"; e2e_fail "$P.bad" "$why"; fi
		fi
	fi
	e2e_stop "$GPID"
fi

if e2e_wanted "$P.off"; then
	if ! boot off ""; then
		e2e_fail "$P.off" "the guest did not serve (log $GLOG)"
	else
		U=http://127.0.0.1:$HP
		why=""
		for p in /debug/tasks "/debug/profile?seconds=1" /debug/; do
			c=$(code "$U$p")
			[ "$c" = 404 ] || why+="$p: $c; "
		done
		grep -q 'debug=on' "$GLOG" && why+="the console mentions debug=on; "
		c=$(code "$U/healthz")
		[ "$c" = 200 ] || why+="/healthz: $c; "
		if [ -z "$why" ]; then e2e_pass "$P.off" "404 x3"; else e2e_fail "$P.off" "$why"; fi
	fi
	e2e_stop "$GPID"
fi
exit 0
