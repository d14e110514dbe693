#!/usr/bin/env python3
"""tools/insn/profile.py — a flat profile from the plugin's block tables.

usage: profile.py ELF AFTER [BEFORE] [--ops N] [--unit request] [--top K]
                  [--md FILE] [--title TEXT]

AFTER and BEFORE are tables written by the plugin in mode=pc (tools/insn/
insn.c: one line "VADDR NINSNS EXECS" per translated block, counts since
QEMU started); the profile is what ran between the two (AFTER alone: since
start). Each block's instructions (NINSNS * EXECS) go to the function that
holds its first address: the text symbols of ELF (`nm -n -S`; the same
names as the kernel's own .ksyms table, which tools/mksyms.sh makes from
the same nm output). A block does not cross a function boundary unless one
function falls through into the next, which compilers do not emit for C.
Addresses outside every symbol are grouped as "[outside ELF]" (firmware,
or code that is not the ELF's).

Prints: function, instructions, % of the total and, with --ops, the
instructions per operation; then the total. --md writes the same table in
markdown. Flat only: QEMU 7.2's plugin API reads no registers, so no stack
walk is possible from the plugin (no folded stacks).
"""
import argparse
import bisect
import collections
import subprocess
import sys


def load_table(path):
    """Instructions per block start address, summed over translations."""
    per = collections.Counter()
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            per[int(parts[0], 16)] += int(parts[1]) * int(parts[2])
    return per


def load_symbols(elf):
    """Sorted (start, end, name) for the text symbols of ELF. An assembly
    function's local labels (sizeless local symbols after a sizeless global
    one, as in newlib's memcpy.S: quadword_aligned, loop, byte_copy) belong
    to that function: its range runs to the next global symbol."""
    out = subprocess.run(["nm", "-n", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 4 and p[2] in "tTwW":
            start, size, name = int(p[0], 16), int(p[1], 16), p[3]
        elif len(p) == 3 and p[1] in "tTwW":
            start, size, name = int(p[0], 16), 0, p[2]
        else:
            continue
        if name.startswith(".L"):
            continue
        syms.append((start, size, name, p[-2] in "TW"))
    syms.sort()
    result = []
    in_asm = False  # inside a sizeless global (assembly) function
    for i, (start, size, name, glob) in enumerate(syms):
        if result and result[-1][0] == start:
            continue  # one name per address: the first, as .ksyms
        if not size and not glob and in_asm:
            continue  # a label of the assembly function before it
        in_asm = glob and not size
        # Sizeless symbols end where the next symbol (label or not) starts,
        # assembly functions where the next global one does.
        end = start + size
        for nxt in syms[i + 1:]:
            if size or nxt[0] <= start:
                break
            if not in_asm or nxt[3] or nxt[1]:
                end = nxt[0]
                break
        result.append((start, max(end, start + 1), name))
    return result


def source_files(elf, addrs):
    """The source file of each address (addr2line; '?' when unknown)."""
    out = subprocess.run(["addr2line", "-e", elf] + [hex(a) for a in addrs],
                         capture_output=True, text=True).stdout.splitlines()
    return {a: (l.split(":")[0].rsplit("/", 1)[-1] or "?") for a, l in zip(addrs, out)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("after")
    ap.add_argument("before", nargs="?")
    ap.add_argument("--ops", type=float, help="operations in the window (requests...)")
    ap.add_argument("--unit", default="op")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--md")
    ap.add_argument("--title", default="")
    a = ap.parse_args()

    delta = load_table(a.after)
    if a.before:
        delta.subtract(load_table(a.before))
    syms = load_symbols(a.elf)
    starts = [s[0] for s in syms]
    per_sym = collections.Counter()
    for addr, n in delta.items():
        if n <= 0:
            continue
        i = bisect.bisect_right(starts, addr) - 1
        per_sym[i if i >= 0 and addr < syms[i][1] else None] += n
    # Static functions of the same name in different files: named with
    # their file.
    names = collections.Counter(syms[i][2] for i in per_sym if i is not None)
    dup = [syms[i][0] for i in per_sym if i is not None and names[syms[i][2]] > 1]
    files = source_files(a.elf, dup) if dup else {}
    funcs = collections.Counter()
    for i, n in per_sym.items():
        if i is None:
            funcs["[outside ELF]"] += n
        elif syms[i][0] in files:
            funcs[f"{syms[i][2]} ({files[syms[i][0]]})"] += n
        else:
            funcs[syms[i][2]] += n
    total = sum(funcs.values())
    if total == 0:
        sys.exit("profile: no instructions in the window")

    rows = funcs.most_common(a.top)
    per = f"insns/{a.unit}"
    hdr = ["function", "instructions", "%", per] if a.ops else ["function", "instructions", "%"]
    table = []
    for name, n in rows:
        r = [name, f"{n:,}", f"{100 * n / total:.1f}"]
        if a.ops:
            r.append(f"{n / a.ops:,.0f}")
        table.append(r)
    rest = total - sum(n for _, n in rows)
    if rest:
        r = [f"({len(funcs) - len(rows)} others)", f"{rest:,}", f"{100 * rest / total:.1f}"]
        if a.ops:
            r.append(f"{rest / a.ops:,.0f}")
        table.append(r)
    r = ["total", f"{total:,}", "100.0"]
    if a.ops:
        r.append(f"{total / a.ops:,.0f}")
    table.append(r)

    w = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(hdr)]
    if a.title:
        print(a.title)
    print("  ".join(h.ljust(w[0]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(hdr)))
    for t in table:
        print("  ".join(c.ljust(w[0]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(t)))
    if a.md:
        with open(a.md, "w") as md:
            if a.title:
                md.write(f"{a.title}\n\n")
            md.write("| " + " | ".join(hdr) + " |\n")
            md.write("|---|" + "---:|" * (len(hdr) - 1) + "\n")
            for t in table:
                md.write("| " + " | ".join(f"`{c}`" if i == 0 and not c.startswith("(")
                                           and c != "total" else c
                                           for i, c in enumerate(t)) + " |\n")


if __name__ == "__main__":
    main()
