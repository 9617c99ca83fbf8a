#!/usr/bin/env python3
"""Writes demo.ftrace: a synthetic ftrace text trace of Landlock events.

It follows the text a kernel with the Landlock tracepoints writes (checked
against a real capture from Linux 7.3, examples/traces/sandboxer-7.3.ftrace:
the event names, `ruleset=ID.VERSION` with the version counting rules
added, one `port=` on network denials), for a day in the life of a few
sandboxed services. It covers every
event, escaped strings (a path with a space, an '=', a newline and an ANSI
escape), nested domains, exec'd children and freed objects. It is
deterministic: running it again writes the same file.

    python3 examples/traces/gen-demo.py > examples/traces/demo.ftrace
    landtrace --replay examples/traces/demo.ftrace -f json > examples/traces/demo.jsonl
"""

import random

rng = random.Random(20261129)
FS = ["execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char",
      "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer",
      "truncate", "ioctl_dev"]
FS_READ = "read_file|read_dir"
FS_RO = "execute|read_file|read_dir"
FS_RW = "|".join(FS)
NET_ALL = "bind_tcp|connect_tcp"

t = 5000.000000
next_id = 0x1c1400000
lines = []


def tick(lo=0.001, hi=0.4):
    global t
    t += rng.uniform(lo, hi)
    return t


def new_id():
    global next_id
    next_id += rng.randint(1, 40)
    return next_id


def emit(comm, pid, event, fields, cpu=None):
    cpu = rng.randint(0, 1) if cpu is None else cpu
    lines.append(f"{comm:>16}-{pid:<7} [{cpu:03d}] ..... {tick():12.6f}: landlock_{event}: {fields}")


def esc(path):
    """The kernel's escaping of a string field."""
    out = []
    for ch in path.encode():
        c = chr(ch)
        if c == " ":
            out.append("\\040")
        elif c == "=":
            out.append("\\075")
        elif c in "\"'\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif ch < 0x20 or ch >= 0x7f:
            out.append(f"\\{ch:03o}")
        else:
            out.append(c)
    return "".join(out)


class Sandbox:
    """One process that builds a ruleset, adds rules and restricts itself."""

    def __init__(self, comm, pid, handled_fs, handled_net, scoped, fs_rules, net_rules, parent=0):
        self.comm, self.pid = comm, pid
        self.ruleset = new_id()
        version = 0
        emit(comm, pid, "create_ruleset",
             f"ruleset={self.ruleset:x}.0 handled_fs={handled_fs} handled_net={handled_net} scoped={scoped}")
        for path, access, (dev, ino) in fs_rules:
            version += 1
            emit(comm, pid, "add_rule_path_beneath",
                 f"ruleset={self.ruleset:x}.{version} access_rights={access} dev={dev} ino={ino} path={esc(path)}")
        for port, access in net_rules:
            version += 1
            emit(comm, pid, "add_rule_net_port",
                 f"ruleset={self.ruleset:x}.{version} access_rights={access} port={port}")
        self.domain = new_id()
        self.parent = parent
        emit(comm, pid, "create_domain", f"domain={self.domain:x} parent={parent:x} ruleset={self.ruleset:x}.{version}")
        emit(comm, pid, "enforce_domain", f"domain={self.domain:x} complete=1 process_wide=1 no_new_privs=1")
        self.version = version
        self.denials = 0

    def deny_fs(self, blockers, path, dev="254:0", same_exec=1, logged=1, comm=None, pid=None):
        self.denials += 1
        emit(comm or self.comm, pid or self.pid, "deny_access_fs",
             f"domain={self.domain:x} same_exec={same_exec} logged={logged} blockers={blockers} "
             f"dev={dev} ino={rng.randint(100, 900000)} path={esc(path)}")

    def deny_net(self, blockers, sport=0, dport=0, same_exec=1, logged=1):
        self.denials += 1
        port = sport if blockers.startswith("bind") else dport
        emit(self.comm, self.pid, "deny_access_net",
             f"domain={self.domain:x} same_exec={same_exec} logged={logged} blockers={blockers} port={port}")

    def check_fs(self, access, grants):
        emit(self.comm, self.pid, "check_rule_inode",
             f"domain={self.domain:x} access_request={access} dev=254:0 ino={rng.randint(100, 9000)} grants={{{grants}}}")

    def free(self):
        emit(f"kworker/{rng.randint(0, 1)}:1", rng.choice([31, 57]), "free_domain",
             f"domain={self.domain:x} denials={self.denials}")
        emit(self.comm, self.pid, "free_ruleset", f"ruleset={self.ruleset:x}.{self.version}")


root = ("254:0", 2)
nginx = Sandbox("nginx", 1201, FS_RW, NET_ALL, "abstract_unix_socket|signal",
                [("/usr", FS_RO, ("254:0", 1310)), ("/var/www", FS_READ, ("254:0", 9061)),
                 ("/var/log/nginx", "write_file|make_reg|truncate", ("254:0", 9100)),
                 ("/etc/nginx", FS_READ, ("254:0", 2881))],
                [(80, "bind_tcp"), (443, "bind_tcp")])
curl = Sandbox("curl", 2301, FS_RW, "", "",
               [("/usr", FS_RO, ("254:0", 1310)), ("/etc/ssl/certs", FS_READ, ("254:0", 3001))], [])
backup = Sandbox("backup", 3120, FS_RW, NET_ALL, "",
                 [("/", FS_READ, root), ("/etc", "write_file|make_reg|remove_file", ("254:0", 2001)),
                  ("/srv/backup", FS_RW, ("254:0", 12001))],
                 [(873, "connect_tcp")])
py_outer = Sandbox("python3", 4410, FS_RW, NET_ALL, "signal",
                   [("/usr", FS_RO, ("254:0", 1310)), ("/home/app", FS_RW, ("254:0", 20001))],
                   [(8000, "bind_tcp"), (5432, "connect_tcp")])
py_inner = Sandbox("python3", 4410, FS_RW, NET_ALL, "abstract_unix_socket|signal",
                   [("/usr", FS_RO, ("254:0", 1310)), ("/home/app/data", FS_READ, ("254:0", 20100))],
                   [], parent=py_outer.domain)
worker = Sandbox("worker", 5150, FS_READ, "", "signal", [("/usr", FS_RO, ("254:0", 1310))], [])
chromium = Sandbox("chromium", 6001, FS_RW, "", "abstract_unix_socket",
                   [("/usr", FS_RO, ("254:0", 1310)), ("/tmp", FS_RW, ("254:0", 11))], [])

sensitive = ["/etc/passwd", "/etc/shadow", "/etc/hosts", "/root/.ssh/id_ed25519", "/etc/ssl/private/server.key"]
for minute in range(6):
    for _ in range(rng.randint(6, 12)):
        nginx.deny_fs("read_file", rng.choice(sensitive))
    nginx.deny_net("connect_tcp", dport=rng.choice([5432, 6379, 5432, 9200]))
    nginx.deny_net("bind_tcp", sport=8080)
    for _ in range(rng.randint(1, 4)):
        curl.deny_fs("read_file", rng.choice(["/home/user/.netrc", "/etc/passwd", "/home/user/.config/curlrc"]))
    for _ in range(rng.randint(2, 5)):
        # The inner layer blocks what the outer allowed; an exec'd shell is
        # not the domain's creator (same_exec=0) and is not logged.
        py_inner.deny_fs(rng.choice(["write_file", "make_reg|write_file"]), "/home/app/out/report.csv")
        py_inner.deny_fs("read_file", "/home/app/secrets.env", same_exec=0, logged=0, comm="sh", pid=4477 + minute)
    py_inner.check_fs("read_file", "read_file,read_file")
    py_inner.check_fs("write_file", "write_file,")
    if minute % 2 == 0:
        emit("worker", 5150, "deny_scope_signal",
             f"domain={worker.domain:x} same_exec=1 logged=1 target_domain=0 target_pid=1 target_comm=systemd")
        emit("worker", 5150, "deny_scope_signal",
             f"domain={worker.domain:x} same_exec=1 logged=1 target_domain={nginx.domain:x} target_pid=1201 target_comm=nginx")
        worker.denials += 2
    emit("chromium", 6001, "deny_scope_abstract_unix_socket",
         f"domain={chromium.domain:x} same_exec=1 logged=1 peer_domain=0 peer_pid=812 sun_path=\\000/tmp/.X11-unix/X0")
    chromium.denials += 1
    emit("python3", 4410, "deny_ptrace",
         f"domain={py_inner.domain:x} same_exec=1 logged=1 tracee_domain=0 tracee_pid=1 tracee_comm=systemd")
    py_inner.denials += 1
    backup.deny_net("connect_tcp", dport=22)
    # A hostile file name: a space, '=', a newline and an ANSI escape.
    chromium.deny_fs("read_file", "/tmp/evil\x1b[31m name=x\nfake line")
    t += rng.uniform(5, 10)

for sb in [curl, nginx, backup, py_inner, py_outer, worker, chromium]:
    sb.free()

print("# tracer: nop")
print("#")
print("# synthetic Landlock trace for landtrace's examples (see gen-demo.py)")
print("#")
print("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION")
print("#              | |         |   |||||     |         |")
for line in lines:
    print(line)
