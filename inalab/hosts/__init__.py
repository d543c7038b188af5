"""inalab.hosts: worker agents (allreduce over the INA protocol) and the parameter server."""

from inalab.hosts.config import ImportanceRule, JobConfig
from inalab.hosts.errors import AllreduceTimeout, ConfigError, HostsError, InputError
from inalab.hosts.ps import Aggregator, ParameterServer, PsJob
from inalab.hosts.stats import RoundStats
from inalab.hosts.transport import QueueTransport, Transport, UdpTransport
from inalab.hosts.worker import Worker

__all__ = [
    "Aggregator",
    "AllreduceTimeout",
    "ConfigError",
    "HostsError",
    "ImportanceRule",
    "InputError",
    "JobConfig",
    "ParameterServer",
    "PsJob",
    "QueueTransport",
    "RoundStats",
    "Transport",
    "UdpTransport",
    "Worker",
]
