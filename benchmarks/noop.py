"""A job that does nothing: the one-RQ-job-per-event baseline."""


def noop(event: dict[str, object]) -> None:
    return None
