"""Where the events go on Kafka, parsed from one URL: kafka://host:port[,host:port]/topic."""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from adapters.redaction import redacted
from adapters.settings import ConfigurationError

# Partitions spread aggregates over the projector's consumers; each aggregate's events
# stay in one partition, in order.
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class KafkaTopic:
    bootstrap_servers: str
    topic: str
    partitions: int = DEFAULT_PARTITIONS
    replication: int = 1

    @classmethod
    def from_url(cls, url: str) -> "KafkaTopic":
        """The topic TECHBANK_EVENT_BUS_URL names; ConfigurationError naming it unless it
        is kafka://host:port[,host:port]/topic[?partitions=N&replication=N]."""
        parts = urlsplit(url)
        topic = parts.path.strip("/")
        try:
            if parts.scheme != "kafka" or not parts.netloc or not topic:
                raise ValueError("no host or topic")
            options = {key: int(values[-1]) for key, values in parse_qs(parts.query).items()}
        except ValueError:
            raise ConfigurationError(
                f"TECHBANK_EVENT_BUS_URL={redacted(url)}: expected "
                "kafka://host:port[,host:port]/topic[?partitions=N&replication=N]"
            ) from None
        return cls(
            parts.netloc,
            topic,
            options.get("partitions", DEFAULT_PARTITIONS),
            options.get("replication", 1),
        )
