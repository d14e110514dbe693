#!/usr/bin/env bash
# tools/mksyms.sh ELF OUT.S — write the text symbols of ELF as the .ksyms
# section (see kernel/ksym.c for the layout). Used between the two links.
set -euo pipefail
elf=$1 out=$2
nm -n --defined-only "$elf" | awk 'BEGIN { n = 0 }
	NF == 3 && $2 ~ /^[tTwW]$/ && $3 !~ /^\.L/ && $3 !~ /^(__text_start|__text_end|__kernel_start)$/ {
		if ($1 == last) next	# one name per address: the first
		last = $1; addr[n] = $1; name[n] = $3; n++
	}
	END {
		print "\t.section .ksyms, \"a\""
		print "\t.balign 8"
		printf "\t.quad %d\n", n
		for (i = 0; i < n; i++) printf "\t.quad 0x%s\n", addr[i]
		off = 0
		for (i = 0; i < n; i++) { printf "\t.long %d\n", off; off += length(name[i]) + 1 }
		for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", name[i]
	}' > "$out"
