// tools/hclcheck — parse HCL files (Nomad jobs) with HashiCorp's own HCL v2
// parser, from Debian's golang-github-hashicorp-hcl-v2-dev, and print every
// attribute whose value is a constant as one line, PATH = VALUE, where PATH
// names the enclosing blocks and their labels:
//
//	job[weft].group[web].task[weft].driver = "qemu"
//
// so that a shell test can check what a file says, not just that it parses.
// Exits 1 with the parser's diagnostics when a file does not parse.
//
// Built by tests/docs/deploy.sh in GOPATH mode against /usr/share/gocode
// (Debian's Go library tree); no module download.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func value(v cty.Value) string {
	if !v.IsKnown() || v.IsNull() {
		return "null"
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case t == cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case t == cty.Bool:
		return fmt.Sprint(v.True())
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			parts = append(parts, value(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case t.IsMapType() || t.IsObjectType():
		var parts []string
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			parts = append(parts, k.AsString()+" = "+value(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

func walk(prefix string, body *hclsyntax.Body) {
	names := make([]string, 0, len(body.Attributes))
	for n := range body.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := body.Attributes[n]
		v, d := a.Expr.Value(nil)
		s := "<expression>"
		if !d.HasErrors() {
			s = value(v)
		}
		fmt.Printf("%s%s = %s\n", prefix, n, s)
	}
	for _, b := range body.Blocks {
		p := prefix + b.Type
		if len(b.Labels) > 0 {
			p += "[" + strings.Join(b.Labels, ",") + "]"
		}
		fmt.Printf("%s {}\n", p)
		walk(p+".", b.Body)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hclcheck FILE...")
		os.Exit(2)
	}
	p := hclparse.NewParser()
	bad := false
	for _, f := range os.Args[1:] {
		file, d := p.ParseHCLFile(f)
		if d.HasErrors() {
			w := hcl.NewDiagnosticTextWriter(os.Stderr, p.Files(), 78, false)
			w.WriteDiagnostics(d)
			bad = true
			continue
		}
		walk("", file.Body.(*hclsyntax.Body))
	}
	if bad {
		os.Exit(1)
	}
}
