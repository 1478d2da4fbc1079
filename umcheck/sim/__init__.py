"""Fleet simulator: real WinRM/WinRS/PSRP and SSH servers on 127.0.0.0/8 that unmodified clients talk to.

It is the embedded default behind ``umcheck demo``, the peer of every transport test and the load
generator of the benchmarks. See docs/simulator.md.
"""

from umcheck.sim.auth import Credentials
from umcheck.sim.fleet import Fleet, Ports, SimHost
from umcheck.sim.hosts import CommandRule, HostSpec
from umcheck.sim.scenario import Scenario, load_scenario, mix

__all__ = ["CommandRule", "Credentials", "Fleet", "HostSpec", "Ports", "Scenario", "SimHost", "load_scenario", "mix"]
