# tools/gdb/weft.py — gdb commands for a Weft guest (make debug loads it):
#
#   weft-tasks          every live task: id, name, state, why it waits, the
#                       CPU running it, and its stack (frame-pointer walk)
#   weft-tasks -n       the same without the stacks
#
# It reads the runtime's own structures through the kernel's debug info
# (build/weft is built with -g), so it follows them by name:
#   - every live task owns a stack: runtime/stack.c's owners[] maps each of
#     the next_slot default-size slots to its task (NULL once the task has
#     exited), and big[] holds the tasks with larger stacks. A task appears
#     in exactly one of them, so walking both lists every task.
#   - struct task (runtime/sched.h): id, name, ws (its low byte is the state
#     T_*), reason (why it is parked), rsp (its saved context).
#   - a task switched out by ctx_switch (kernel/arch/switch.S) has r15, r14,
#     r13, r12, rbx, rbp and the return address at rsp, in that order; from
#     there its frames are a frame-pointer chain (every layer is built with
#     -fno-omit-frame-pointer).
#   - a running task is cpus[c].task for its CPU c; its registers are that
#     vCPU's (the gdb thread whose rsp lies in the task's stack).
# tests/e2e/gdb.sh drives it in batch mode against a booted guest, so a
# renamed field shows up as a failed test.
import gdb

STATES = {1: "runnable", 2: "running", 3: "parking", 4: "waiting",
          5: "claimed", 6: "dead"}
MAX_FRAMES = 32


def u64(addr):
    mem = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(mem), "little")


def static(name):
    sym = gdb.lookup_static_symbol(name) or gdb.lookup_global_symbol(name)
    if sym is None:
        raise gdb.GdbError("weft-tasks: no symbol %s (is the kernel's ELF loaded?)" % name)
    return sym.value()


def live_tasks():
    """Every live task, as gdb.Value pointers to struct task."""
    out = []
    owners = static("owners")
    nslots = int(static("next_slot"))
    chunk = 4096  # runtime/stack.c's CHUNK
    nchunks = int(owners.type.sizeof // owners.type.target().sizeof)
    for c in range(min(nchunks, (nslots + chunk - 1) // chunk)):
        base = owners[c]
        if int(base) == 0:
            continue
        for i in range(min(chunk, nslots - c * chunk)):
            t = base[i]
            if int(t) != 0:
                out.append(t)
    big = static("big")
    for i in range(int(big.type.sizeof // big.type.target().sizeof)):
        t = big[i]["t"]
        if int(t) != 0:
            out.append(t)
    return out


def running_on():
    """{task address: cpu index} for the tasks CPUs are running now."""
    cpus, n = static("cpus"), int(static("ncpus"))
    run = {}
    for c in range(n):
        t = int(cpus[c]["task"])
        if t:
            run[t] = c
    return run


def where(pc, look=None):
    """pc with its function and line; look (pc - 1 for a return address)
    is where the lookup happens, inside the call."""
    look = pc if look is None else look
    sal = gdb.find_pc_line(look)
    block = gdb.block_for_pc(look) if look else None
    fn = block.function if block is not None else None
    while block is not None and fn is None:
        block = block.superblock
        fn = block.function if block is not None else None
    name = fn.name if fn is not None else "??"
    loc = ""
    if sal.symtab is not None:
        loc = " at %s:%d" % (sal.symtab.filename, sal.line)
    return "0x%x in %s%s" % (pc, name, loc)


def frames(pc, rbp, lo, hi):
    """The frame-pointer chain from (pc, rbp) within the stack [lo, hi)."""
    out = [pc]
    while lo <= rbp < hi and len(out) < MAX_FRAMES:
        ret = u64(rbp + 8)
        if ret == 0:
            break
        out.append(ret)
        nxt = u64(rbp)
        if nxt <= rbp:
            break
        rbp = nxt
    return out


def thread_regs_in(lo, hi):
    """(pc, rbp) of the vCPU whose rsp lies in [lo, hi), or None."""
    old = gdb.selected_thread()
    try:
        for th in gdb.selected_inferior().threads():
            th.switch()
            f = gdb.newest_frame()
            rsp = int(f.read_register("rsp"))
            if lo <= rsp < hi:
                return int(f.read_register("rip")), int(f.read_register("rbp"))
    finally:
        if old is not None:
            old.switch()
    return None


class WeftTasks(gdb.Command):
    """List Weft's tasks and their stacks: weft-tasks [-n]."""

    def __init__(self):
        super().__init__("weft-tasks", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        stacks = arg.strip() != "-n"
        tasks = live_tasks()
        run = running_on()
        print("weft-tasks: %d tasks" % len(tasks))
        for t in sorted(tasks, key=lambda p: int(p["id"])):
            addr = int(t)
            state = STATES.get(int(t["ws"]) & 0xff, "state %d" % (int(t["ws"]) & 0xff))
            reason = t["reason"].string() if int(t["reason"]) else ""
            cpu = run.get(addr)
            line = "task %d \"%s\" %s" % (int(t["id"]), t["name"].string(), state)
            if reason:
                line += " (%s)" % reason
            if cpu is not None:
                line += " on cpu %d" % cpu
            print(line)
            if not stacks:
                continue
            lo, hi = int(t["stack_lo"]), int(t["stack_hi"])
            if cpu is not None and state == "running":
                regs = thread_regs_in(lo - 4096, hi)
                if regs is None:
                    print("    (running; its vCPU is outside the task's stack now)")
                    continue
                pc, rbp = regs
            else:
                rsp = int(t["rsp"])
                if not lo <= rsp < hi:
                    print("    (saved rsp 0x%x outside its stack)" % rsp)
                    continue
                rbp, pc = u64(rsp + 40), u64(rsp + 48)
            for i, f in enumerate(frames(pc, rbp, lo, hi)):
                print("    #%d %s" % (i, where(f, f if i == 0 else f - 1)))


WeftTasks()
print("weft.py: weft-tasks lists the tasks and their stacks")
