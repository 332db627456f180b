"""Job descriptions the tailoring tests use: three roles that should pick different questions.
Written for the tests; any resemblance to a real posting is the genre's."""

PAYMENTS = """Senior Backend Engineer, Payments. You will build the APIs that move money: card
authorization, refunds and payouts. We need idempotent endpoints so a retried request never double
charges a customer, strong consistency in Postgres transactions, and careful handling of PCI compliance,
secrets and audit logs. Experience with SQL data modeling and REST API design is a plus."""

DATA_PLATFORM = """Data Platform Engineer. Join the team that ingests vehicle telemetry from our fleet:
billions of events per day through Kafka into Spark and Flink streaming pipelines, landing in a data lake
and a warehouse for analytics. You will own ETL jobs, schema evolution, partitioning and backpressure in
our stream processing, and work with the sensor and firmware teams."""

SRE = """Site Reliability Engineer. You will be on-call for our core services, lead incident response and
postmortems, define SLOs and alerting, and build observability with Prometheus, Grafana and OpenTelemetry
tracing. You debug production outages, reduce tail latency, and improve reliability and capacity."""
