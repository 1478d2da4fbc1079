"""``-v`` levels each add something: every host, then the plan and connection settings, then the
transport events — and none of them ever shows the password."""

from __future__ import annotations

import os
import re
import subprocess

from .e2e import PASSWORD, PASSWORD_ENV, Procs, SimProcess, umcheck_cmd


def test_each_verbosity_level_adds_something_and_never_a_secret(tmp_path) -> None:
    scenario = tmp_path / "scenario.yml"
    scenario.write_text(
        "name: verbosity\nhosts:\n"
        "  - {name: v-win, transport: winrm, auth: ntlm}\n"
        "  - {name: v-lnx, transport: ssh, auth: password}\n"
    )
    env = {**os.environ, PASSWORD_ENV: PASSWORD, "NO_PROXY": "127.0.0.0/8,localhost,::1"}
    procs = Procs()
    try:
        sim = SimProcess.start(procs, tmp_path, scenario, env)
        errs = {}
        for flag in ("-v", "-vv", "-vvv"):
            proc = subprocess.run(umcheck_cmd("scan", "-i", str(sim.inventory), flag, "--no-history",
                                              "-o", str(tmp_path / flag)),
                                  capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
            assert proc.returncode == 0, proc.stderr[-2000:]
            assert PASSWORD not in proc.stdout + proc.stderr
            errs[flag] = proc.stderr
        assert "v-win: ok Ready" in errs["-v"] and "plan:" not in errs["-v"]
        assert "umcheck: plan: 2 host(s), all rules" in errs["-vv"]
        assert re.search(r"\n  endpoint +http://127\.", errs["-vv"]) and re.search(r"\n  password +set\n", errs["-vv"])
        assert "umcheck: transport:" not in errs["-vv"]
        assert "umcheck: transport: v-win: winrm to " in errs["-vvv"]
        assert "umcheck: transport: v-lnx: collector exited rc=0" in errs["-vvv"]
    finally:
        procs.close()
