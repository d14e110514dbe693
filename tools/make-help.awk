# tools/make-help.awk — `make help`: prints the "## NAME: text" lines of the
# Makefile (and its fragments), targets (lower-case names) first, then the
# variables (upper case) users set. tests/docs/make_help.sh checks that
# every target has such a line.
/^## [a-z][a-z0-9-]*: / {
	name = substr($2, 1, length($2) - 1)
	text = $0; sub(/^## [^:]*: /, "", text)
	targets[++nt] = sprintf("  make %-16s %s", name, text)
	next
}
/^## [A-Z][A-Z0-9_]*: / {
	name = substr($2, 1, length($2) - 1)
	text = $0; sub(/^## [^:]*: /, "", text)
	vars[++nv] = sprintf("  %-18s %s", name, text)
}
END {
	print "Targets:"
	for (i = 1; i <= nt; i++) print targets[i]
	print ""
	print "Variables (make TARGET VAR=value):"
	for (i = 1; i <= nv; i++) print vars[i]
}
