#!/usr/bin/env python3
"""tests/e2e/testssl_verdict.py — judge a testssl.sh --jsonfile result.

usage: testssl_verdict.py FILE.json...

Reads the findings of `testssl --protocols --std --vulnerable` (testssl.sh
3.0, Debian 12; one file, or one per part when the parts ran apart)
and prints one line: "ok SUMMARY" when the server passes,
"bad PROBLEMS" when not (exit status 0 either way; 2 when the file cannot
be read). The rules, the floor of issue 11:

- protocols: SSLv2, SSLv3, TLS 1.0 and TLS 1.1 "not offered", TLS 1.2
  "offered" (TLS 1.3 is not judged: BearSSL 0.6 has none);
- ciphers: the categories NULL, aNULL, EXPORT, LOW (DES, RC2, RC4),
  3DES/IDEA and AVERAGE (the obsolete CBC suites, i.e. every non-AEAD
  suite of 128 bits and more) "not offered", STRONG (AEAD) "offered";
  together the categories cover every suite testssl knows;
- vulnerabilities: each check below must be present, and no finding may
  be of severity MEDIUM, HIGH or CRITICAL or say "VULNERABLE" — with
  two exceptions, each named in the output:
    BREACH (MEDIUM when "/" is answered gzip-compressed): an attack on
      responses that mix a secret with attacker-chosen text under
      compression; app=httpd compresses nothing at run time, it serves
      gzip variants packed at build time from the site's static files;
    RC4 (WARN "not supported by local OpenSSL"): testssl's own OpenSSL
      lacks RC4; its socket-based LOW category, which holds RC4, must
      then say "not offered".
- a FATAL finding (testssl could not scan) fails.
"""
import json
import sys

NOT_OFFERED = ["SSLv2", "SSLv3", "TLS1", "TLS1_1",
               "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
               "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"]
OFFERED = ["TLS1_2", "cipherlist_STRONG"]
VULNS = ["heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego",
         "secure_client_renego", "CRIME_TLS", "BREACH", "POODLE_SSL",
         "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST",
         "LUCKY13", "RC4"]
BAD_SEVERITY = {"MEDIUM", "HIGH", "CRITICAL"}


def main():
    findings = []
    if len(sys.argv) < 2:
        print("bad: usage: testssl_verdict.py FILE.json...")
        return 2
    for path in sys.argv[1:]:
        try:
            with open(path) as f:
                findings += json.load(f)
        except (OSError, ValueError) as e:
            print("bad: cannot read the testssl result:", e)
            return 2
    by_id = {}
    for f in findings:
        by_id.setdefault(f.get("id", ""), []).append(f)
    problems, excused = [], []

    def one(fid):
        fs = by_id.get(fid)
        if not fs:
            problems.append(fid + " missing")
            return None
        return fs[0]

    for fid in NOT_OFFERED:
        f = one(fid)
        if f and not f["finding"].startswith("not offered"):
            problems.append("%s: %s" % (fid, f["finding"]))
    for fid in OFFERED:
        f = one(fid)
        if f and not f["finding"].startswith("offered"):
            problems.append("%s: %s" % (fid, f["finding"]))
    for fid in VULNS:
        one(fid)
    low_ok = (by_id.get("cipherlist_LOW") or [{"finding": ""}])[0]["finding"].startswith("not offered")
    for f in findings:
        fid, sev, text = f.get("id", ""), f.get("severity", ""), f.get("finding", "")
        if sev == "FATAL":
            problems.append("FATAL %s: %s" % (fid, text))
        elif fid == "BREACH" and sev == "MEDIUM" and "gzip HTTP compression" in text:
            excused.append("BREACH (static gzip variants)")
        elif fid == "RC4" and sev == "WARN" and "local OpenSSL" in text and low_ok:
            excused.append("RC4 (local OpenSSL; LOW not offered)")
        elif sev in BAD_SEVERITY or "VULNERABLE" in text:
            problems.append("%s %s: %s" % (fid, sev, text))
    if problems:
        print("bad", "; ".join(problems))
    else:
        scan = "/".join(f["finding"] for f in by_id.get("scanTime", [])) or "?"
        print("ok TLS 1.2 only, AEAD only, %d vulnerability checks passed%s; scan %s s" % (
            len(VULNS) - len(excused),
            (", excused: " + ", ".join(excused)) if excused else "", scan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
