// bench/go/rtbench.go — the runtime micro-benchmarks of
// tests/guest/bench_runtime.c, measured on Go's runtime the same way, so
// bench/runtime.sh can print the two side by side. Prints
// "BENCH name value unit" lines, and for the four that bench/runtime.sh
// counts in instructions "BENCH ops.name N unit": the operations the whole
// run performed, warm-up included. "rtbench NAME" runs one benchmark;
// "rtbench none" runs none (the empty run that instruction counts subtract).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

func bench(name string, v int64, unit string) { fmt.Printf("BENCH %s %d %s\n", name, v, unit) }

func benchOps(name string, n int64, unit string) { bench("ops."+name, n, unit) }

func spawnExit() {
	const n = 200000
	var wg sync.WaitGroup
	for round := 0; round < 2; round++ {
		wg.Add(n)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			go wg.Done()
		}
		wg.Wait()
		if round == 1 {
			bench("spawn_exit", time.Since(t0).Nanoseconds()/n, "ns/task")
		}
	}
	benchOps("spawn_exit", 2*n, "tasks")
}

// Two goroutines yielding to each other on one P, as the guest pins both
// tasks to one CPU.
func yield() {
	const rounds = 200000
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < rounds; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	bench("yield", time.Since(t0).Nanoseconds()/(2*rounds), "ns/switch")
	benchOps("yield", 2*rounds, "switches")
}

func pingpong() {
	const rounds = 200000
	a, b := make(chan uint64), make(chan uint64)
	done := make(chan struct{})
	go func() {
		for v := range a {
			b <- v
		}
		close(done)
	}()
	var v uint64
	t0 := time.Now()
	for i := 0; i < rounds; i++ {
		a <- v
		v = <-b
	}
	dt := time.Since(t0)
	close(a)
	<-done
	bench("chan_pingpong", dt.Nanoseconds()/rounds, "ns/roundtrip")
	benchOps("chan_pingpong", rounds, "roundtrips")
}

func mutexHandoff() {
	const rounds = 100000
	var m sync.Mutex
	var counter uint64
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < rounds; i++ {
				m.Lock()
				counter++
				m.Unlock()
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	if counter != 2*rounds {
		fmt.Fprintln(os.Stderr, "mutex: lost updates")
		os.Exit(1)
	}
	bench("mutex_handoff", time.Since(t0).Nanoseconds()/(2*rounds), "ns/handoff")
	benchOps("mutex_handoff", 2*rounds, "handoffs")
}

func sleepLateness() {
	const n = 50
	late := make([]int64, n)
	for i := range late {
		t0 := time.Now()
		time.Sleep(10 * time.Millisecond)
		late[i] = time.Since(t0).Nanoseconds() - 10e6
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	bench("sleep10ms_late_median", late[n/2]/1000, "us")
	bench("sleep10ms_late_worst", late[n-1]/1000, "us")
}

func inUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys - ms.HeapReleased
}

func idleTask() {
	const n = 50000
	gate := make(chan struct{})
	before := inUse()
	var started sync.WaitGroup
	started.Add(n)
	for i := 0; i < n; i++ {
		go func() { started.Done(); <-gate }()
	}
	started.Wait()
	after := inUse()
	bench("idle_task", int64(after-before)/n, "bytes")
	close(gate)
}

func millionSpawn() {
	const n = 1000000
	gate := make(chan struct{})
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go func() { <-gate }()
	}
	bench("million_spawn", time.Since(t0).Milliseconds(), "ms")
	close(gate)
}

func main() {
	which := "all"
	if len(os.Args) > 1 {
		which = os.Args[1]
	}
	run := func(name string, f func()) {
		if which == "all" || which == name {
			f()
		}
	}
	run("idle_task", idleTask)
	run("spawn_exit", spawnExit)
	run("yield", yield)
	run("chan_pingpong", pingpong)
	run("mutex_handoff", mutexHandoff)
	run("sleep_lateness", sleepLateness)
	run("million_spawn", millionSpawn)
}
