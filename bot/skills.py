"""The skill vocabulary: tags a bank question exercises, and the words a job description uses for them.

One table, used twice: `bank --validate` checks every question's `skills` against `SKILLS`,
and `bot.practice.tailoring` reads a pasted job description or CV summary for the `cues` below
to decide which skills the member's target role needs. Add a tag here (with its cues) before
using it in the bank. Cues are lower-case regular expressions matched on word boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Skill:
    tag: str
    label: str  # how we name it to a member
    cues: tuple[str, ...]  # regexes (lower case) a description uses for this skill
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple(re.compile(rf"\b(?:{c})\b") for c in self.cues))

    def find(self, text: str) -> list[str]:
        """Every cue occurrence in `text` (lower case), as the words matched."""
        return [m.group(0) for p in self._compiled for m in p.finditer(text)]


def _skill(tag: str, label: str, *cues: str) -> tuple[str, Skill]:
    return tag, Skill(tag, label, cues)


SKILLS: dict[str, Skill] = dict((
    _skill("algorithms", "data structures and algorithms",
           r"algorithms?", r"algorithmic", r"data structures?", r"leetcode", r"graphs?", r"dynamic programming",
           r"complexity", r"sorting", r"problem[- ]solving", r"computer science fundamentals", r"cs fundamentals"),
    _skill("concurrency", "concurrency and parallelism",
           r"concurren\w*", r"multi-?thread\w*", r"threads?", r"race conditions?", r"locks?", r"locking",
           r"async\w*", r"parallel\w*", r"goroutines?", r"mutex\w*"),
    _skill("api-design", "API design",
           r"apis?", r"rest(?:ful)?", r"grpc", r"graphql", r"endpoints?", r"microservices?", r"web services?",
           r"interfaces?", r"sdks?"),
    _skill("data-modeling", "data modelling and databases",
           r"sql", r"postgres\w*", r"mysql", r"databases?", r"data models?", r"data modell?ing", r"schemas?",
           r"nosql", r"mongo\w*", r"dynamo\w*", r"cassandra", r"indexes", r"indexing", r"relational",
           r"transactions?", r"time[- ]series"),
    _skill("caching", "caching",
           r"cach\w*", r"redis", r"memcached?", r"cdn", r"low[- ]latency reads?"),
    _skill("messaging", "queues, streams and event-driven design",
           r"kafka", r"queues?", r"queuing", r"queueing", r"rabbitmq", r"sqs", r"kinesis", r"pub/?sub",
           r"event[- ]driven", r"events?", r"streaming", r"streams?", r"message brokers?", r"messaging"),
    _skill("distributed-systems", "distributed systems",
           r"distributed", r"sharding", r"shards?", r"partition\w*", r"replication", r"consensus",
           r"consistency", r"eventual(?:ly)? consisten\w*", r"horizontal(?:ly)? scal\w*", r"scalab\w*",
           r"high[- ]scale", r"at scale", r"large[- ]scale"),
    _skill("reliability", "reliability and failure handling",
           r"reliab\w*", r"resilien\w*", r"fault[- ]toleran\w*", r"high availability", r"availability",
           r"idempoten\w*", r"retr(?:y|ies)", r"redundan\w*", r"disaster recovery", r"slos?", r"slas?",
           r"uptime", r"double charges?", r"payments?", r"billing", r"ledgers?", r"exactly[- ]once", r"durab\w*", r"correctness"),
    _skill("observability", "observability: metrics, logs, traces, alerts",
           r"observability", r"monitoring", r"metrics", r"alert\w*", r"logging", r"logs", r"tracing",
           r"traces", r"dashboards?", r"prometheus", r"grafana", r"datadog", r"opentelemetry", r"telemetry"),
    _skill("performance", "performance and latency",
           r"performance", r"latency", r"throughput", r"optimi[sz]\w*", r"profil\w*", r"p99", r"tail latency",
           r"high[- ]throughput", r"efficien\w*", r"cost reduction", r"benchmark\w*"),
    _skill("security", "security: auth, secrets, audit",
           r"security", r"secure", r"auth\w*", r"oauth", r"iam", r"encrypt\w*", r"secrets?", r"audit\w*",
           r"compliance", r"pci", r"soc ?2", r"gdpr", r"access control", r"permissions?", r"fraud"),
    _skill("incident-response", "production debugging and incidents",
           r"on-?call", r"incidents?", r"debug\w*", r"troubleshoot\w*", r"production issues?", r"outages?",
           r"root cause", r"postmortems?", r"post-mortems?", r"sre", r"site reliability", r"operations",
           r"operational"),
    _skill("testing", "testing and verification",
           r"test\w*", r"tdd", r"unit tests?", r"integration tests?", r"qa", r"quality", r"edge cases?",
           r"code reviews?", r"ci/?cd", r"continuous integration"),
    _skill("ownership", "ownership and driving results",
           r"ownership", r"owning", r"take ownership", r"end[- ]to[- ]end", r"drive\w*", r"accountab\w*", r"self[- ]starter",
           r"autonom\w*", r"initiative", r"deliver\w*", r"ship\w*", r"impact"),
    _skill("collaboration", "collaboration and handling disagreement",
           r"collaborat\w*", r"cross[- ]functional", r"stakeholders?", r"communicat\w*", r"mentor\w*",
           r"teamwork", r"partner\w*", r"influenc\w*", r"feedback", r"product managers?", r"team players?"),
    _skill("prioritization", "prioritising under ambiguity and time pressure",
           r"ambigu\w*", r"fast[- ]paced", r"prioriti[sz]\w*", r"deadlines?", r"trade-?offs?", r"startup",
           r"pragmati\w*", r"changing requirements", r"urgency", r"speed", r"iterat\w*"),
    _skill("data-pipelines", "data pipelines and telemetry ingestion",
           r"pipelines?", r"etl", r"elt", r"ingest\w*", r"spark", r"flink", r"airflow", r"data platforms?",
           r"data lakes?", r"warehouse\w*", r"batch processing", r"analytics", r"telemetry", r"big data"),
    _skill("devices-iot", "connected devices and fleets",
           r"iot", r"devices?", r"vehicles?", r"fleets?", r"embedded", r"firmware", r"sensors?", r"hardware",
           r"chargers?", r"robot\w*", r"manufactur\w*", r"factor(?:y|ies)", r"ota", r"over[- ]the[- ]air",
           r"mqtt"),
))

SKILL_TAGS: tuple[str, ...] = tuple(SKILLS)


def describe(tag: str) -> str:
    """The member-facing name of a tag (the tag itself when unknown)."""
    skill = SKILLS.get(tag)
    return skill.label if skill else tag
