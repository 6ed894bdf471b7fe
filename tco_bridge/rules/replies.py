"""Is a requester's reply on a resolved ticket a confirmation, a rejection, or neither?

The approval practice must not close on "Not fixed, the app still crashes" because the reply
contains "fixed". So a reply is read clause by clause (sentences, and the parts around
"but"): a clause that says the problem persists (a negated success word, "still" with a
problem or a negation, a problem "again", "came back", a bare "no") makes the whole reply a
rejection; a success word counts only in a clause that is not a question and not hedged
("I think", "seems", "will test"); a negated problem ("no longer crashes", "no more errors")
is a success. Quoted earlier mail (``>`` lines, "On ... wrote:") is ignored.

``rules/replies.yaml`` is the labelled corpus that pins this behaviour (every reply there is
tested); docs/rules.md says how to extend it. English only, on purpose small and readable.
"""

from __future__ import annotations

import enum
import re


class Reply(enum.StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    NEITHER = "neither"


NEGATORS = frozenset({"not", "never", "no", "without", "nothing"})
#: "no" negates the noun after it ("no errors"), not a success word ("no worries, all fixed").
SUCCESS_NEGATORS = NEGATORS - {"no"}
SUCCESS = frozenset(
    {
        "yes", "yep", "yeah", "yup", "confirm", "confirmed", "confirming",
        "work", "works", "working", "worked", "fixed", "solved", "resolved", "sorted",
        "perfect",
    }
)  # fmt: skip
PROBLEM = re.compile(
    r"^(broken|break(s|ing)?|crash(es|ed|ing)?|fail(s|ed|ing|ure)?|errors?|problems?|issues?"
    r"|bugs?|down|slow|wrong|happen(s|ed|ing)?|drop(s|ped|ping)?|freez(e|es|ing)|froze(n)?"
    r"|stuck|persists?)$"
)
SUCCESS_PHRASES = re.compile(
    r"\b(all good|looks good|all set|did the trick|great job|(you )?(can|may|please) close"
    r"|close (it|the ticket))\b"
)
PERSISTS = re.compile(
    r"\b(came back|comes back|is back|keeps? \w+ing|same (error|problem|issue)|reopen"
    r"|but not|persists?|(did|does|do) not (help|change|close)|no luck|not (any )?better)\b"
)
HEDGES = re.compile(
    r"\b(i think|i guess|seems?|appears?|maybe|might|probably|hopefully|unsure|so far"
    r"|will (test|check|try|see|let)|let (me|you) (know|check)|get back to you)\b"
)
BARE_NO = re.compile(r"^(no|nope|nah)\b(?! (longer|more|problems?|issues?|errors?|worries))")
_QUOTE_START = re.compile(r"^(on .+ wrote:|-+ ?original message ?-+)$", re.IGNORECASE)
_CONTRACTIONS = (
    (r"\bcan't\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"n't\b", " not"),
    (r"\bnot (sure|certain)\b", "unsure"),  # a hedge, not a negation
)
_CLAUSE = re.compile(r"[^.!?;\n]+[.!?;\n]?")


def classify(text: str) -> Reply:
    """The reply's verdict; rejections win over confirmations in the same reply."""
    verdicts = [_clause(c) for c in clauses(text)]
    if Reply.REJECTED in verdicts:
        return Reply.REJECTED
    return Reply.CONFIRMED if Reply.CONFIRMED in verdicts else Reply.NEITHER


def clauses(text: str) -> list[str]:
    """Lower-cased clauses of the reply's own text; a question keeps its ``?``."""
    own = []
    for line in text.replace("\r", "").split("\n"):
        if _QUOTE_START.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            own.append(line)
    body = "\n".join(own).lower().replace("\u2019", "'")
    for pattern, plain in _CONTRACTIONS:
        body = re.sub(pattern, plain, body)
    parts = []
    for match in _CLAUSE.finditer(body):
        for part in re.split(r"\bbut\b(?! not)", match.group(0)):
            if part.strip(" ,.!;\n"):
                parts.append(part.strip(" ,!;\n"))
    return parts


def _clause(clause: str) -> Reply:
    words = re.findall(r"[a-z]+", clause)
    if _persists(clause, words):
        return Reply.REJECTED
    if clause.endswith("?") or HEDGES.search(clause):
        return Reply.NEITHER
    if SUCCESS_PHRASES.search(clause) or any(
        w in SUCCESS for i, w in enumerate(words) if not _negated(words, i, SUCCESS_NEGATORS)
    ):
        return Reply.CONFIRMED
    if any(PROBLEM.match(w) and _negated(words, i) for i, w in enumerate(words)):
        return Reply.CONFIRMED  # "no longer crashes", "have not had any problems"
    if "again" in words and not any(PROBLEM.match(w) for w in words):
        return Reply.CONFIRMED  # "I can log in again", "the printer prints again"
    return Reply.NEITHER


def _persists(clause: str, words: list[str]) -> bool:
    if clause.endswith("?"):
        return False
    if BARE_NO.match(clause) or PERSISTS.search(clause):
        return True
    for i, word in enumerate(words):
        if word in SUCCESS and _negated(words, i, SUCCESS_NEGATORS):
            return True  # "not fixed", "does not work"
        if word == "still" and any(PROBLEM.match(w) or w in NEGATORS for w in words[i + 1 : i + 5]):
            return True  # "still broken", "still not working", "still can not"
        if word == "again" and any(PROBLEM.match(w) for w in words[max(0, i - 4) : i]):
            return True  # "crashed again", "broken again"
    return False


def _negated(words: list[str], i: int, negators: frozenset[str] = NEGATORS) -> bool:
    return any(w in negators for w in words[max(0, i - 3) : i])
