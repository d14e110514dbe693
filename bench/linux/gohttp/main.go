// bench/linux/gohttp — the Linux peer's static Go net/http server.
//
// Built by bench/linux/build.sh with Debian's golang-go (CGO_ENABLED=0, so
// a static binary) and put in the Linux guest's initramfs; /init starts it
// for weft.role=gohttp. It serves the files under -dir (/www in the guest:
// the benchmark page as /index.html, also answering /) with the standard
// library's http.FileServer, keep-alive on, no logging. Not part of Weft:
// it is one of the servers Weft's HTTP benchmark is measured against.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
)

func main() {
	addr := flag.String("addr", ":80", "listen address")
	dir := flag.String("dir", "/www", "directory to serve")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(*dir))}
	fmt.Fprintf(os.Stderr, "gohttp: listening on %s, GOMAXPROCS %d\n", ln.Addr(), runtime.GOMAXPROCS(0))
	log.Fatal(srv.Serve(ln))
}
