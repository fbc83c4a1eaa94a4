"""An sshd of our own on a loopback port, for running the client the way its users do: `ssh -t`.

Everything is temporary: a host key and a client key made for the run, an
authorized_keys file, `-f /dev/null` and `-o` options (the system's sshd
configuration is never read). Debian's sshd refuses to run as root without
/run/sshd, and as another user it cannot give a login a terminal; so it runs
in a private mount namespace with its own empty /run (`unshare`), which
leaves the system's /run untouched. Where that is not possible the reason is
given, for a skip.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .spawn import free_port

SSHD = "/usr/sbin/sshd"


@dataclass
class Sshd:
    proc: subprocess.Popen
    port: int
    folder: Path

    def ssh_argv(self, command: str) -> list[str]:
        """`ssh -t` to this server as the current user, running `command`; TERM goes with it."""
        return ["ssh", "-t", "-i", str(self.folder / "id"), "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "SendEnv=LANG LC_ALL", "-o", "BatchMode=yes", f"{_user()}@127.0.0.1", command]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def unavailable() -> str | None:
    """Why no sshd can be started here, or None when one can."""
    for tool in (SSHD, shutil.which("ssh"), shutil.which("ssh-keygen"), shutil.which("unshare")):
        if not tool or not os.path.exists(tool):
            return "needs openssh-server, openssh-client and unshare"
    if os.geteuid() != 0:
        return "sshd gives a login a terminal only when it runs as root"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"cannot make a private mount namespace: {probe.stderr.decode(errors='replace').strip()}"
    return None


def start_sshd(timeout: float = 10.0) -> Sshd:
    folder = Path(tempfile.mkdtemp(prefix="geventchat-sshd-"))
    for name in ("host_key", "id"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "id.pub").read_text())
    port = free_port()  # sshd cannot be asked for port 0 and tell
    argv = [SSHD, "-D", "-e", "-f", "/dev/null", "-o", f"Port={port}", "-o", "ListenAddress=127.0.0.1",
            "-o", f"HostKey={folder / 'host_key'}", "-o", f"AuthorizedKeysFile={folder / 'authorized_keys'}",
            "-o", "PidFile=none", "-o", "StrictModes=no", "-o", "UsePAM=no", "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no", "-o", "PermitRootLogin=prohibit-password",
            "-o", "AcceptEnv=LANG LC_*", "-o", "PrintMotd=no", "-o", "PrintLastLog=no"]
    script = f"mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && exec {shlex.join(argv)}"
    log = open(folder / "sshd.log", "w")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    server = Sshd(proc, port, folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = (folder / "sshd.log").read_text()
            server.stop()
            raise RuntimeError(f"sshd did not start:\n{text}")
        if "Server listening" in (folder / "sshd.log").read_text():
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("sshd did not start in time")


def _user() -> str:
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name
