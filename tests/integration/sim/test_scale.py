"""200 simulated hosts in one process answer concurrent clients correctly (correctness, not timing)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import asyncssh

from .conftest import PASSWORD, USER, psrp_client, spec, winrm_session


async def test_200_hosts_concurrent_clients(make_fleet):
    specs = [spec(f"w{i:03d}", "winrm") for i in range(150)]
    specs += [spec(f"p{i:03d}", "psrp") for i in range(25)]
    specs += [spec(f"l{i:03d}", "ssh") for i in range(25)]
    fleet = await make_fleet(specs)
    assert len({h.address for h in fleet.hosts}) == 200

    def windows(host):
        if host.transport == "psrp":
            return psrp_client(host, "ntlm").execute_ps("hostname")[0]
        return winrm_session(host, "ntlm", op=10, read=30).run_cmd("hostname").std_out.decode().strip()

    async def linux(host):
        async with asyncssh.connect(host.address, host.port, username=USER, password=PASSWORD,
                                    known_hosts=str(fleet.known_hosts), connect_timeout=20) as conn:  # fmt: skip
            return (await conn.run("hostname", check=True)).stdout.strip()

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=50) as pool:
        jobs = {h.name: (loop.run_in_executor(pool, windows, h) if h.os == "windows" else linux(h))
                for h in fleet.hosts}  # fmt: skip
        results = await asyncio.wait_for(asyncio.gather(*jobs.values()), 240)
    answers = dict(zip(jobs, results, strict=True))
    assert answers == {name: name for name in answers}
    assert fleet.stats["shells"] == 175 and fleet.stats["ssh_execs"] == 25
