"""tco-bridge: Total Contact Ownership for help desks that run Jira or Zendesk.

Where things live, following one event from the ticket tool and back (docs/architecture.md
walks one delivery through them, step by step; ``make lint`` checks the layering):

* the pure core, plain functions of data and time:
  ``events`` (canonical events), ``event_schema`` (their JSON wire format, defined with
  marshmallow), ``event_codec`` (the hot path's reading and writing of it), ``slotted``
  (fast builds and copies of the hot path's dataclasses), ``ownership``
  (policy), ``state`` (per-ticket state), ``ticket_apply`` (``apply``: one event folded into
  it), ``contact_owner`` (the owner, derived from the candidates), ``escalation`` (the stays
  with escalation groups), ``plan`` (what rules return),
  ``rules/`` (the YAML rule engine: loading by section, conditions, actions by concept,
  evaluation; its docstring maps the modules),
  ``pipeline`` (one event in: new state and a plan out), ``history`` (a ticket's events in
  the tool's order; late ones evaluated at their place), ``settle`` (the settle window: which
  tickets' events a drain evaluates now), ``touches`` (what counts as one agent
  touch), ``actions`` (write-backs as data),
  ``metrics``, ``team_metrics``, ``watch`` and ``views`` (read models), ``timeline`` (a
  ticket's explained history), ``simulate`` (the core on a virtual clock) and ``recording``
  (what it replays);
* the edges: ``web/`` (Flask: webhooks, read and agents APIs, health, /metrics, ``signin``
  and the ``console/`` pages), ``receiver`` (verify, parse, dedupe, queue), ``jsonbody``
  (fast JSON bodies), ``queueing`` (one Redis round trip per delivery), ``worker`` (drain
  jobs), ``drain_load`` and ``drain_stage`` (what a drain batch reads, and stages in its
  commit), ``collector`` (fewer garbage collections during a drain), ``state_codec`` (state
  as JSON), ``timers`` and ``clock``, ``lease`` (job leases, the one lock), ``recovery``
  (abandoned jobs, due retries), ``outage`` (riding through a Redis outage),
  ``outbox`` (decided write-backs onto RQ), ``writeback`` (the write-back job),
  ``reschedule`` (a job that retries later or parks), ``shadow`` (shadow mode's record),
  ``ratelimit``, ``failed`` (parked write-backs), ``redaction`` (secrets out of what is kept
  or logged), ``held`` (write-backs waiting for a write limit, shown on the ticket),
  ``handover``, ``reconcile``, ``ticket_store``;
* the contracts: ``connector`` (the Connector protocol and discovery), ``retry`` (the shared
  retry table, and when to try again), ``testing/`` (the conformance kit every connector
  passes: a test package and pytest plugin, the ``conformance`` extra), ``errors`` (one root);
* process plumbing: ``config`` (settings, read once), ``runtime`` (what a process holds),
  ``rules_source`` (hot reload), ``keys`` (every Redis key; Redis replies as text),
  ``embedded_redis``, ``datadir`` (``make run``'s data folder: where commands find the
  private Redis, reset), ``cli/`` (the ``tco-bridge`` command, one module per command group;
  ``cli.common``: what every subcommand shares, one-line failures), ``telemetry`` (worker and
  clock counters kept in Redis) and ``prometheus`` (``/metrics``: multiprocess web counters,
  Redis facts at scrape time), ``gunicorn_conf``, ``users`` (console users and roles),
  ``democlock`` (the fast clock of ``make demo``).
"""

__version__ = "0.1.0"
