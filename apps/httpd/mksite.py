#!/usr/bin/env python3
"""apps/httpd/mksite.py — pack a directory into the HTTP server's site table.

  mksite.py --site DIR --status FILE --out OUT.c

Writes OUT.c: a C file of read-only data (apps/httpd/site.h) holding every
regular file under DIR, sorted by path, and FILE as the /status page. For
each file the response headers are prepared here, once:

  Content-Type    from the extension (table below; text types say
                  charset=utf-8); anything else application/octet-stream
  Content-Length  the size
  ETag            strong: the first 16 hex digits of the content's SHA-256

Paths are "/" plus the path under DIR with '/' separators: what the server's
http_path_normalize makes of a request for the file. Names starting with '.'
(files or directories) are left out, as are names the server could never be
asked for (control characters, backslashes): those are reported on stderr.

site_build_time is SOURCE_DATE_EPOCH when set (reproducible builds), else
the time of packing: the Date header's clock when the kernel command line
has no date=.

Python 3 standard library only; run by apps/httpd/httpd.mk.
"""

import argparse
import hashlib
import os
import sys
import time

TYPES = {
    "html": "text/html; charset=utf-8",
    "htm": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "mjs": "text/javascript; charset=utf-8",
    "json": "application/json",
    "map": "application/json",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xml": "application/xml",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "ico": "image/x-icon",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "wasm": "application/wasm",
    "pdf": "application/pdf",
}


def content_type(name):
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return TYPES.get(ext, "application/octet-stream")


def servable(path):
    """Could a request name this path? (http_path_normalize refuses these.)"""
    return not any(b < 0x20 or b == 0x7F or b == 0x5C for b in path)


def collect(site):
    """(path bytes, file name) for every regular file under site."""
    files = []
    for root, dirs, names in os.walk(site):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = os.path.join(root, name)
            if not os.path.isfile(full):
                continue
            rel = os.path.relpath(full, site).replace(os.sep, "/")
            path = b"/" + os.fsencode(rel)
            if not servable(path):
                print(f"mksite: {full}: name cannot be requested; left out",
                      file=sys.stderr)
                continue
            files.append((path, full))
    files.sort()
    return files


def c_string(data, indent="\t"):
    """data as C string literal lines (octal escapes for anything unsafe)."""
    lines, cur = [], []
    width = 0
    named = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x22: '\\"',
             0x5C: "\\\\"}
    for b in data:
        if b in named:
            piece = named[b]
        elif 0x20 <= b < 0x7F and b != 0x3F:
            piece = chr(b)
        else:
            piece = "\\%03o" % b
        cur.append(piece)
        width += len(piece)
        if width >= 72 or b == 0x0A:
            lines.append(indent + '"' + "".join(cur) + '"')
            cur, width = [], 0
    if cur or not lines:
        lines.append(indent + '"' + "".join(cur) + '"')
    return "\n".join(lines)


def entry(ident, path, data, name):
    """C definitions for one file (its body array) and its table entry;
    name (the source file's) gives the content type."""
    etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
    ctype = content_type(os.path.basename(name))
    headers = (f"Content-Type: {ctype}\r\nContent-Length: {len(data)}\r\n"
               f"ETag: {etag}\r\n").encode()
    defs = f"static const char {ident}[] =\n{c_string(data)};\n"
    init = ("\t{\n"
            f"\t\t.path = {c_string(path, '').strip()},\n"
            f"\t\t.etag = {c_string(etag.encode(), '').strip()},\n"
            f"\t\t.headers =\n{c_string(headers, chr(9) * 3)},\n"
            f"\t\t.body = {ident},\n"
            f"\t\t.path_len = {len(path)},\n"
            f"\t\t.etag_len = {len(etag)},\n"
            f"\t\t.headers_len = {len(headers)},\n"
            f"\t\t.size = {len(data)},\n"
            "\t}")
    return defs, init


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    if not os.path.isdir(args.site):
        sys.exit(f"mksite: {args.site}: not a directory")
    files = collect(args.site)
    built = int(os.environ.get("SOURCE_DATE_EPOCH") or time.time())

    out = ["/* Generated by apps/httpd/mksite.py from "
           f"{args.site.replace('*/', '*_/')}: do not edit. */",
           '#include "apps/httpd/site.h"', ""]
    inits = []
    total = 0
    for i, (path, full) in enumerate(files):
        with open(full, "rb") as f:
            data = f.read()
        if len(data) >= 1 << 32:
            sys.exit(f"mksite: {full}: 4 GiB or larger")
        total += len(data)
        defs, init = entry(f"body_{i}", path, data, full)
        out.append(defs)
        inits.append(init)
    with open(args.status, "rb") as f:
        defs, status = entry("status_body", b"/status", f.read(),
                             args.status)
    out.append(defs)

    out.append("const struct site_file site_files[] = {")
    out.append(",\n".join(inits) if inits else "\t{ .path = \"\" }")
    out.append("};")
    out.append(f"const size_t site_nfiles = {len(files)};")
    out.append("const struct site_file site_status_page =")
    out.append(status.replace("\t{", "{", 1).replace("\n\t", "\n") + ";")
    out.append(f"const uint64_t site_build_time = {built};")

    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, args.out)
    print(f"  SITE    {args.site}: {len(files)} files, {total} bytes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
