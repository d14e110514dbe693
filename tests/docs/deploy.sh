#!/usr/bin/env bash
# tests/docs/deploy.sh — check the deployment examples in docs/deploy/ with
# the tools that read them (make test's `docs` stage; run alone from the
# repository root).
#
#   *.sh      bash -n, and shellcheck with no findings
#   *.yaml    yamllint (its default rules, but long lines allowed), then a
#             parse (python3-yaml) that checks what Weft depends on: a
#             KubeVirt VirtualMachine whose disk bus and NIC model are
#             virtio, whose containerDisk names an image, whose probes ask
#             GET /healthz on port 80, and a Service for port 80
#   *.hcl     HashiCorp's HCL v2 parser (tools/hclcheck, built from Debian's
#             golang-github-hashicorp-hcl-v2-dev), then the job's settings:
#             the qemu driver, the image, the guest's port 80 mapped, and a
#             service check on /healthz
#   README    docs/deploy/README.md and the top-level README.md name every
#             example file
#
# Prints PASS/FAIL lines named docs.deploy.*; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
dir=docs/deploy
out=build/test/docs
mkdir -p "$out"
failed=0
pass() { echo "PASS docs.deploy.$1${2:+ ($2)}"; }
fail() { echo "FAIL docs.deploy.$1: $2"; failed=1; }

for f in "$dir"/*.sh; do
	n=$(basename "$f")
	if ! e=$(bash -n "$f" 2>&1); then
		fail "$n" "bash -n: $e"
	elif ! e=$(shellcheck -x "$f" 2>&1); then
		fail "$n" "shellcheck: $(head -c 400 <<<"$e")"
	else
		pass "$n" "bash -n, shellcheck"
	fi
done

for f in "$dir"/*.yaml; do
	n=$(basename "$f")
	if ! e=$(yamllint -d '{extends: default, rules: {line-length: disable, document-start: disable}}' "$f" 2>&1); then
		fail "$n" "yamllint: $(head -c 400 <<<"$e")"
		continue
	fi
	if e=$(python3 - "$f" 2>&1 <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
problems = []
vm = kinds.get("VirtualMachine")
if not vm or not vm.get("apiVersion", "").startswith("kubevirt.io/"):
    problems.append("no kubevirt.io VirtualMachine")
else:
    spec = vm["spec"]["template"]["spec"]
    dev = spec["domain"]["devices"]
    if any(d.get("disk", {}).get("bus") != "virtio" for d in dev["disks"]):
        problems.append("a disk is not on the virtio bus")
    if any(i.get("model") != "virtio" for i in dev["interfaces"]):
        problems.append("a NIC is not virtio")
    vols = {v["name"]: v for v in spec["volumes"]}
    for d in dev["disks"]:
        v = vols.get(d["name"], {})
        if not v.get("containerDisk", {}).get("image"):
            problems.append(f"disk {d['name']} has no containerDisk image")
    for p in ("readinessProbe", "livenessProbe"):
        g = spec.get(p, {}).get("httpGet", {})
        if g.get("path") != "/healthz" or g.get("port") != 80:
            problems.append(f"{p} is not GET /healthz on port 80")
svc = kinds.get("Service")
if not svc or not any(p.get("targetPort") == 80 for p in svc["spec"]["ports"]):
    problems.append("no Service with targetPort 80")
elif svc["spec"]["selector"].items() - vm["spec"]["template"]["metadata"]["labels"].items():
    problems.append("the Service's selector does not match the VM's labels")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(", ".join(sorted(kinds)))
PY
	); then
		pass "$n" "yamllint, $e"
	else
		fail "$n" "$e"
	fi
done

hcl=$out/hclcheck
if [ ! -x "$hcl" ] || [ tools/hclcheck/main.go -nt "$hcl" ]; then
	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(pwd)/build/test/docs/gocache \
		GOFLAGS= go build -o "$hcl" ./tools/hclcheck 2>"$out/hclcheck.build.log" ||
		fail hclcheck "building tools/hclcheck failed: $(tail -n 3 "$out/hclcheck.build.log")"
fi
for f in "$dir"/*.hcl; do
	n=$(basename "$f")
	[ -x "$hcl" ] || { fail "$n" "no HCL parser"; continue; }
	if ! flat=$("$hcl" "$f" 2>&1); then
		fail "$n" "HCL parse: $(head -c 400 <<<"$flat")"
		continue
	fi
	problems=()
	want() { grep -qE "$1" <<<"$flat" || problems+=("$2"); }
	want '^job\[[^]]+\]\.group\[[^]]+\]\.task\[[^]]+\]\.driver = "qemu"$' "no task with driver qemu"
	want '\.task\[[^]]+\]\.config\.image_path = "[^"]+\.qcow2"$' "no qcow2 image_path"
	want '\.task\[[^]]+\]\.config\.port_map\.[a-z]+ = 80$' "the guest's port 80 is not mapped"
	want '\.service\.check\.path = "/healthz"$' "no service check on /healthz"
	if [ ${#problems[@]} -gt 0 ]; then
		fail "$n" "$(IFS=';'; echo "${problems[*]}")"
	else
		pass "$n" "HCL v2 parse, qemu driver, port 80, /healthz check"
	fi
done

for f in "$dir"/*; do
	n=$(basename "$f")
	[ "$n" != README.md ] || continue
	grep -qF "($n)" "$dir/README.md" || { fail readme "docs/deploy/README.md does not link $n"; continue; }
done
grep -qF 'docs/deploy/' README.md || fail readme "README.md does not point to docs/deploy/"
[ "$failed" -ne 0 ] || pass readme "every example linked"
exit "$failed"
