#!/usr/bin/env python3
"""apps/httpd/mksite.py — pack a directory into the HTTP server's site table.

  mksite.py --site DIR --status FILE --mime MIME.c --out OUT.c

Writes OUT.c: a C file of read-only data (apps/httpd/site.h) holding every
regular file under DIR, sorted by path, and FILE as the /status page. For
each file the response headers are prepared here, once (site.h shows the
order):

  Content-Type    from the extension, by the table in MIME.c
                  (apps/httpd/mime.c: text types say charset=utf-8);
                  anything else application/octet-stream
  Content-Length  the size
  Accept-Ranges   bytes
  ETag            strong: the first 16 hex digits of the content's SHA-256
  Last-Modified   the file's mtime (whole seconds), no later than the
                  packing time (below): a server must not date a file
                  after its own clock

A gzip variant is packed beside a file whose type the table marks
compressible, when it is smaller than the file: Python's gzip at level 9
with mtime 0 and no name in its header, so the same input packs to the
same bytes. It has its own ETag (of its bytes) and Content-Length, and
"Content-Encoding: gzip"; both it and the file say "Vary:
Accept-Encoding". Nothing is compressed at request time.

Paths are "/" plus the path under DIR with '/' separators: what the server's
http_path_normalize makes of a request for the file. Any byte may be in a
name (spaces, quotes, '%', '#', '?', UTF-8 or not): the C strings escape
what needs it, and a request reaches the file by percent-encoding it.
Names starting with '.' (files or directories) are left out, as are names
the server could never be asked for (control characters, backslashes):
those are reported on stderr.

site_build_time is SOURCE_DATE_EPOCH when set (reproducible builds), else
the time of packing: the Date header's clock when the kernel command line
has no date=. With SOURCE_DATE_EPOCH, mtimes later than it are clamped
to it, as `tar --clamp-mtime` does.

Python 3 standard library only; run by apps/httpd/httpd.mk.
"""

import argparse
import email.utils
import gzip
import hashlib
import os
import re
import sys
import time

DEFAULT_TYPE = "application/octet-stream"
MIME_ENTRY = re.compile(r'^\s*\{ "([a-z0-9]+)", "([^"\\]+)", (true|false) \},$')


def read_types(mime_c):
    """{ext: (type, compressible)} from mime.c's table."""
    types = {}
    with open(mime_c, encoding="utf-8") as f:
        for line in f:
            m = MIME_ENTRY.match(line)
            if m:
                types[m.group(1)] = (m.group(2), m.group(3) == "true")
    if not types:
        sys.exit(f"mksite: {mime_c}: no entries of the form "
                 '{ "ext", "type", bool }, found')
    return types


def content_type(types, name):
    """(type, compressible) for a file name, as mime.c's mime_lookup."""
    base = name.rsplit(b"/", 1)[-1]
    if b"." not in base:
        return DEFAULT_TYPE, False
    ext = base.rsplit(b".", 1)[-1].lower().decode("latin-1")
    return types.get(ext, (DEFAULT_TYPE, False))


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


def gzipped(data):
    """data gzipped, deterministically: level 9, mtime 0, no name."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def variant(ident, path, data, ctype, mtime, coding, vary, gz_ref):
    """C definitions (body and header arrays) and the struct site_file
    initializer of one representation."""
    etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
    validators = (f"Accept-Ranges: bytes\r\nETag: {etag}\r\n"
                  f"Last-Modified: {email.utils.formatdate(mtime, usegmt=True)}"
                  "\r\n").encode()
    headers = (f"Content-Type: {ctype}\r\nContent-Length: {len(data)}\r\n"
               + (f"Content-Encoding: {coding}\r\n" if coding else "")
               + ("Vary: Accept-Encoding\r\n" if vary else "")
               ).encode() + validators
    defs = (f"static const char {ident}[] =\n{c_string(data)};\n"
            f"static const char {ident}_h[] =\n{c_string(headers)};\n")
    init = ("{\n"
            f"\t.path = {c_string(path, '').strip()},\n"
            f"\t.etag = {c_string(etag.encode(), '').strip()},\n"
            f"\t.type = {c_string(ctype.encode(), '').strip()},\n"
            f"\t.headers = {ident}_h,\n"
            f"\t.validators = {ident}_h + {len(headers) - len(validators)},\n"
            f"\t.body = {ident},\n"
            f"\t.gzip = {gz_ref},\n"
            f"\t.path_len = {len(path)},\n"
            f"\t.etag_len = {len(etag)},\n"
            f"\t.headers_len = {len(headers)},\n"
            f"\t.validators_len = {len(validators)},\n"
            f"\t.size = {len(data)},\n"
            f"\t.mtime = {mtime},\n"
            f"\t.vary = {'true' if vary else 'false'},\n"
            "}")
    return defs, init


def entry(ident, path, data, types, mtime, name=None):
    """C definitions for one file and its gzip variant if it has one, and
    the file's struct site_file initializer; the type is name's (the
    path's by default)."""
    ctype, compressible = content_type(types, name or path)
    gz = gzipped(data) if compressible else None
    if gz is not None and len(gz) >= len(data):
        gz = None
    defs = ""
    gz_ref = "NULL"
    if gz is not None:
        gdefs, ginit = variant(ident + "_gz", path, gz, ctype, mtime, "gzip",
                               True, "NULL")
        defs = gdefs + (f"static const struct site_file {ident}_gzip = "
                        f"{ginit};\n")
        gz_ref = f"&{ident}_gzip"
    fdefs, init = variant(ident, path, data, ctype, mtime, None,
                          gz is not None, gz_ref)
    return defs + fdefs, init, gz is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--mime", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    if not os.path.isdir(args.site):
        sys.exit(f"mksite: {args.site}: not a directory")
    types = read_types(args.mime)
    files = collect(args.site)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    built = int(epoch or time.time())

    def mtime(name):
        return min(max(int(os.stat(name).st_mtime), 0), built)

    site_name = os.fsdecode(args.site).encode("ascii", "backslashreplace")
    out = ["/* Generated by apps/httpd/mksite.py from "
           f"{site_name.decode().replace('*/', '*_/')}: do not edit. */",
           '#include "apps/httpd/site.h"', ""]
    inits = []
    total = ngz = 0
    for i, (path, full) in enumerate(files):
        with open(full, "rb") as f:
            data = f.read()
        if len(data) >= 1 << 32:
            sys.exit(f"mksite: {full}: 4 GiB or larger")
        total += len(data)
        defs, init, has_gz = entry(f"body_{i}", path, data, types,
                                   mtime(full))
        ngz += has_gz
        out.append(defs)
        inits.append(init)
    with open(args.status, "rb") as f:
        # typed as the HTML it is, by its file's name (its path is not
        # looked up: /status is a handler of its own)
        defs, status, _ = entry("status_body", b"/status", f.read(), types,
                                mtime(args.status), os.fsencode(args.status))
    out.append(defs)

    def indent(init):
        return "\t" + init.replace("\n", "\n\t")

    out.append("const struct site_file site_files[] = {")
    out.append(",\n".join(map(indent, inits)) if inits
               else "\t{ .path = \"\" }")
    out.append("};")
    out.append(f"const size_t site_nfiles = {len(files)};")
    out.append(f"const struct site_file site_status_page = {status};")
    out.append(f"const uint64_t site_build_time = {built};")

    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, args.out)
    print(f"  SITE    {args.site}: {len(files)} files, {total} bytes, "
          f"{ngz} gzip variants", file=sys.stderr)


if __name__ == "__main__":
    main()
